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
    "held": "待立案",
    None: "待定",
}

# Why an appeal waits before its filing decision (appeal.held, Art. 8, 11).
HELD = DECISIONS["held"]
HELD_REASONS: dict[str, str] = {
    "verification": "待核实",
    "classification": "待分类",
}

ANSWERED = "已秒回"

# Intake's reason codes (Art. 11); a code added there shows as the code until named
# here.
REJECTION_REASONS: dict[str, str] = {
    "missing_contact": "未留联系方式",
    "invalid_contact": "联系方式无效",
    "missing_content": "未描述诉求内容",
    "address_not_precise": "地址不具体",
    "no_place_in_district": "未写明本区范围内的地点",
    "description_unclear": "问题描述不清",
    "no_evident_request": "无明确诉求",
    "complaint_subject_missing": "投诉要素不全",
    "outside_powers": "不属本区职权",
    "outside_territory": "不在本区辖区",
    "law_litigation": "涉法涉诉",
    "repeat": "重复诉求",
    "verification_address_untrue": "核实地址不实",
    "verification_content_untrue": "核实内容不实",
    "verification_invented": "核实为虚构",
}

UNKNOWN = "未知"

# The kinds of warning (预警, Art. 23).
WARNING_KINDS: dict[str, str] = {
    "hotspot": "热点",
    "high_frequency": "高频",
    "safety_hazard": "安全隐患",
    "sensitive": "敏感",
}
