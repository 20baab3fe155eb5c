"""The one application error type, shared by every app (so it lives in the lowest).
Services raise it; the API handler and the pages each map it to a response in one place."""


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, message: str, *, extra: dict | None = None, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        if status_code is not None:
            self.status_code = status_code
