"""Marshmallow's messages in Simplified Chinese, for every schema of the app (the stable `code` stays English).

Field classes merge their messages when a field is created, so this runs before any schema is defined: it is the
first import of the `app` package.
"""
from marshmallow import Schema, fields, validate

_FIELD_MESSAGES: dict[type[fields.Field], dict[str, str]] = {
    fields.Field: {"required": "必填", "null": "不能为空", "validator_failed": "无效"},
    fields.String: {"invalid": "应为文本", "invalid_utf8": "应为 UTF-8 文本"},
    fields.Number: {"invalid": "应为数字", "too_large": "数值过大"},
    fields.Integer: {"invalid": "应为整数"},
    fields.Float: {"special": "不能为 NaN 或无穷大"},
    fields.Boolean: {"invalid": "应为 true 或 false"},
    fields.Date: {"invalid": "日期格式应为 YYYY-MM-DD", "format": "无法按日期格式输出"},
    fields.DateTime: {"invalid": "时间格式应为 ISO 8601（如 2026-11-28T14:03:00+08:00）",
                      "invalid_awareness": "时间应带时区", "format": "无法按时间格式输出"},
    fields.Mapping: {"invalid": "应为对象"},
    fields.List: {"invalid": "应为列表"},
    fields.Nested: {"type": "应为对象"},
}


def _translate() -> None:
    for field_class, messages in _FIELD_MESSAGES.items():
        field_class.default_error_messages = {**field_class.default_error_messages, **messages}
    Schema._default_error_messages = {"type": "请求体应为对象", "unknown": "不允许的字段"}
    validate.Length.message_min = "长度至少为 {min}"
    validate.Length.message_max = "长度不能超过 {max}"
    validate.Length.message_all = "长度应为 {min}–{max}"
    validate.Length.message_equal = "长度应为 {equal}"
    validate.Range.message_min = "应{min_op} {{min}}"
    validate.Range.message_max = "应{max_op} {{max}}"
    validate.Range.message_all = "应{min_op} {{min}} 且{max_op} {{max}}"
    validate.Range.message_gte, validate.Range.message_gt = "不小于", "大于"
    validate.Range.message_lte, validate.Range.message_lt = "不大于", "小于"
    validate.OneOf.default_message = "可选：{choices}"
    validate.Regexp.default_message = "格式不正确"
    validate.Equal.default_message = "应为 {other}"
    validate.ContainsOnly.default_message = "只能从以下选择：{choices}"


_translate()
