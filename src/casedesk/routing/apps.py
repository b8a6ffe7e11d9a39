from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "casedesk.routing"
    label = "routing"

    def ready(self) -> None:
        from casedesk.routing import people
        from casedesk.tenancy import hooks

        # The people pages show each member's queues; an invitation names queues to join.
        hooks.register_queues(choices=people.queue_choices, join=people.join_queues,
                              of_members=people.queues_of_members)
