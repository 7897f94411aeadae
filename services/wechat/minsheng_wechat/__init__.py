"""WeChat official-account adapter (微信公众号): the server side of the account's
message push. Citizens' text, voice, picture and location messages become appeals
delivered to intake with retries and the message id as the idempotency key (Art. 4,
5); each push is answered inside WeChat's five seconds with the tracking code or the
instant answer; the encrypted (safe) mode is spoken too. `courier` carries answers
back through the customer-service message API."""
