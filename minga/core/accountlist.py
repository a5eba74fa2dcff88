from dataclasses import dataclass


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    totp_secret: str = ""
