"""Judging generated components: the validation ladder (judge), the SDK name index and API
check it ends with (api_index, component_api, api_check), and generation runs and reports."""
