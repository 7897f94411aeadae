"""Chinese names for the codes the page shows; unknown codes are shown as they are."""

from __future__ import annotations

APPEAL_TYPES: dict[str, str] = {
    "consultation": "咨询",
    "complaint": "投诉",
    "suggestion": "建议",
}

DECISIONS: dict[str | None, str] = {
    "filed": "立案",
    "rejected": "不予立案",
    None: "待定",
}

# Intake's reason codes (Art. 11); a code added there shows as the code until named
# here.
REJECTION_REASONS: dict[str, str] = {
    "missing_contact": "未留联系方式",
    "invalid_contact": "联系方式无效",
    "missing_content": "未描述诉求内容",
    "address_not_precise": "地址不具体",
    "no_place_in_district": "未写明本区范围内的地点",
}

UNKNOWN = "未知"
