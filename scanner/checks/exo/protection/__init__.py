"""Email protection: anti-malware, anti-spam, connection filtering (Exchange Online Protection), and Safe
Attachments and Safe Links (Defender for Office 365), as CISA's Security Suite baseline rules them."""
