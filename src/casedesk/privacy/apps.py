from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "casedesk.privacy"
    label = "privacy"

    def ready(self) -> None:
        from casedesk.privacy.settings import RETENTION_SETTINGS, privacy_settings_update
        from casedesk.tenancy.services import settings_section_register

        # `PATCH /tenant/settings` hands the retention period to privacy.
        settings_section_register(
            RETENTION_SETTINGS,
            lambda tenant, changes: privacy_settings_update(tenant=tenant, changes=changes))
