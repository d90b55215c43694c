from __future__ import annotations

from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exercises"
    verbose_name = "Exercises and corrective actions"
    # The pages under each entry of the main navigation (accounts.templatetags.muster).
    nav_pages = {"exercises": ("exercise_", "improvement_", "corrective_", "organization_")}

    def ready(self) -> None:
        # LER-18 and LER-26 computed from exercises, and the dashboard's exercise panel;
        # checklists offers the plug-in points and never imports this app.
        from checklists.archive.format import register_section
        from checklists.assessments import extensions
        from exercises import aar, archive, digest, figures, services
        from exercises.models import AfterActionReport
        from notifications import registry

        extensions.register_computed_answers(figures.computed_answers)
        extensions.register_dashboard_panel(figures.dashboard_panel)
        extensions.register_item_panel(figures.item_panel)
        extensions.register_response_check(figures.in_place_check)
        extensions.register_snapshot_section("exercises", figures.snapshot_section)
        extensions.register_review_panel(figures.review_panel)
        extensions.register_row_flags(figures.row_flags)
        extensions.register_school_lines(figures.school_lines)
        # The verify page recognises a signed after-action report by its snapshot's format.
        after_action_report = extensions.SignedDocument(
            format=aar.FORMAT,
            label="after-action report",
            match=AfterActionReport.objects.matching,
            describe=aar.describe,
            recover=services.aars_recover,
        )
        extensions.register_signed_document(after_action_report)
        # The responsible person's actions due soon or overdue, in their digest.
        registry.register_digest_source(digest.my_actions)
        # The agency's archive (export_agency / import_agency) carries its exercises.
        register_section(archive.SECTION)
