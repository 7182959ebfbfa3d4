"""One customer in depth: score, areas, findings, trend, scans, and one finding's evidence and history."""

from portal.services.posture._customer import (
    HISTORY_LIMIT,
    AreaScore,
    CustomerPosture,
    Finding,
    FindingDetail,
    customer_posture,
    finding_detail,
)

__all__ = ["HISTORY_LIMIT", "AreaScore", "CustomerPosture", "Finding", "FindingDetail", "customer_posture",
           "finding_detail"]
