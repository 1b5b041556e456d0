"""placeholder"""
from rungway.api.registry import ApiRouter
router = ApiRouter("models")
