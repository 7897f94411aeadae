#!/bin/sh
# One role and one database per service, each role owning its own database and
# reaching no other (architecture: each service owns its store). The PostgreSQL
# image runs this once, when its data volume is new; run it again by hand after
# adding a service to MINSHENG_DATABASES (it skips what exists):
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-databases.sh
# Each password comes from <NAME>_DB_PASSWORD, e.g. INTAKE_DB_PASSWORD.
set -eu

for name in ${MINSHENG_DATABASES:?MINSHENG_DATABASES names no database}; do
    variable="$(echo "$name" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
    password="$(printenv "$variable" || true)"
    if [ -z "$password" ]; then
        echo "init-databases: $variable is not set" >&2
        exit 1
    fi
    psql --no-psqlrc --set ON_ERROR_STOP=1 \
        --username "${POSTGRES_USER:-postgres}" --dbname postgres \
        --set name="$name" --set password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'name', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"name" TO :"name";
SQL
    echo "init-databases: $name ready"
done
