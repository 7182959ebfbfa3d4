"""External sharing settings of SharePoint and OneDrive."""
