from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "casedesk.cases"
    label = "cases"

    def ready(self) -> None:
        from casedesk.cases import crm_reads, people
        from casedesk.cases.attachments import attachment_settings_update
        from casedesk.cases.selectors import (
            case_field_values,
            latest_cases,
            open_cases_by_policy,
            open_loads_of,
            waiting_by_queue,
        )
        from casedesk.cases.tasks import recompute_open_clocks_later
        from casedesk.crm import hooks as crm_hooks
        from casedesk.routing.hooks import register_readers
        from casedesk.sla.hooks import on_clocks_stale, register_open_case_counter
        from casedesk.tenancy import hooks as tenancy_hooks
        from casedesk.tenancy.services import settings_section_register

        register_readers(loads=open_loads_of, recent_cases=latest_cases,
                         waiting=waiting_by_queue, field_values=case_field_values)
        crm_hooks.register_readers(open_case_counts=crm_reads.open_case_counts,
                                   case_panel=crm_reads.case_panel)
        on_clocks_stale(recompute_open_clocks_later)
        register_open_case_counter(open_cases_by_policy)
        tenancy_hooks.register_open_case_counter(people.open_case_counts)
        settings_section_register(("attachment_max_bytes", "attachment_types"),
                                  attachment_settings_update)
