"""A three-article knowledge base the adapter tests share; `pings` goes into one article so
tests can prove that mass mentions in knowledge base text never ping anyone."""

from __future__ import annotations


def small_corpus(pings: str) -> dict[str, str]:
    return {
        "reset-password.md": """---
title: How to reset your password
category: account
url: https://help.example.com/reset-password
---

To reset your password, open the sign-in page and click Forgot password. We email you a
reset link that is valid for 60 minutes. Choose a new password of at least 10 characters.
""",
        "export-data.md": """---
title: Exporting your project data
category: data
url: https://help.example.com/export
---

To export project data as CSV, open Project settings and choose Export. The export file is
emailed to you within a few minutes. Exports include tasks, comments and attachments.
""",
        "maintenance.md": f"""---
title: Scheduled maintenance windows
category: status
url: https://help.example.com/maintenance
---

Scheduled maintenance windows happen every Sunday at 02:00 UTC. During scheduled
maintenance {pings} the app is read-only for ten minutes.
""",
    }
