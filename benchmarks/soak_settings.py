"""The notifications workers' settings in the soak run (bench_soak.py): production's, with mail
written to files in ``ESCALATE_SOAK_MAIL_DIR`` instead of handed to an SMTP relay the machine
does not have. The web processes run on ``config.settings.production`` itself."""

import os

from config.settings.production import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["ESCALATE_SOAK_MAIL_DIR"]
