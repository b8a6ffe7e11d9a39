from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "casedesk.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        from casedesk.sla.policies import SLA_SETTINGS, sla_settings_update
        from casedesk.tenancy.services import settings_section_register

        settings_section_register(
            SLA_SETTINGS, lambda tenant, changes: sla_settings_update(tenant=tenant,
                                                                      changes=changes))
