"""The types routes receive by injection: a store session, the adapter's context,
the center operator calling (who follows the mail and asks for a poll), and whoever
may open an attachment."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_common import web
from minsheng_common.adapters import kept_files
from minsheng_common.adapters.routes import Operator as Operator
from minsheng_mailbox.service import MailboxContext


def _context(request: Request) -> MailboxContext:
    context: MailboxContext = request.app.state.context
    return context


Session = web.StoreSession
Context = Annotated[MailboxContext, Depends(_context)]
AttachmentReader = kept_files.Reader
