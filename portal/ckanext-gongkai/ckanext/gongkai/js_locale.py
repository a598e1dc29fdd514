"""Serve CKAN's JavaScript translations under the name its own JavaScript asks for.

CKAN 2.11's client.js turns the page's lang (zh-Hans-CN) back into a locale with
`replace('-', '_')`, which replaces only the first dash: it asks for /api/i18n/zh_Hans-CN,
CKAN answers 400 "Unknown locale", and main.js then never starts a JavaScript module, so on a
zh_Hans_CN portal the table preview (datatables_view), autocomplete and the rest stay blank.
"""
from __future__ import annotations

from flask import Blueprint

from ckan.lib.i18n import get_locales_from_config
from ckan.views.api import i18n_js_translations


def asked_name(locale: str) -> str:
    """What client.js requests for a locale: zh_Hans_CN -> zh_Hans-CN."""
    return locale.replace("_", "-").replace("-", "_", 1)


def blueprint() -> Blueprint:
    # A rule without converters wins over CKAN's /api/i18n/<lang>.
    routes = Blueprint("gongkai_js_locale", __name__)
    for locale in sorted(get_locales_from_config()):
        if asked_name(locale) != locale:
            routes.add_url_rule(f"/api/i18n/{asked_name(locale)}", f"i18n_{locale}",
                                view_func=lambda locale=locale: i18n_js_translations(locale))
    return routes
