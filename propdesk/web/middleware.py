"""Chinese first: the console follows the user's explicit choice, not the browser.

Django's LocaleMiddleware would follow `Accept-Language`, so an English-language
browser would get an English console. Staff screens use the language cookie set
by the language switch, else the default (简体中文). The API keeps honouring
`Accept-Language`, which is what API clients send on purpose.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/"):
            super().process_request(request)
            return
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


__all__ = ["ChineseFirstLocaleMiddleware"]
