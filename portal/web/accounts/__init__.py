"""Sign-in, sign-out and the organisation switcher: the pages every other page stands on."""

from portal.web.accounts.controllers import AccountsController

__all__ = ["AccountsController"]
