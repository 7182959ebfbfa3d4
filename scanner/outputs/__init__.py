"""Ways to write a scan result: the JSON scan document (CONTRACT.md), CSV, and OCSF for SIEMs.

The human table lives in the CLI (``posture.cli``): it is presentation, with colours and a progress
display, not a data format.
"""

from scanner.outputs.document import scan_document
from scanner.outputs.ocsf import ocsf_findings
from scanner.outputs.tabular import CSV_COLUMNS, write_csv

__all__ = ["CSV_COLUMNS", "ocsf_findings", "scan_document", "write_csv"]
