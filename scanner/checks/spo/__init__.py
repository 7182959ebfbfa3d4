"""SharePoint and OneDrive tenant settings (Graph ``/admin/sharepoint/settings``)."""
