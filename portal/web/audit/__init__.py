"""The audit page: the MSP's trail for its admins, a tenant's for its customer admins."""

from portal.web.audit.controllers import AuditController

__all__ = ["AuditController"]
