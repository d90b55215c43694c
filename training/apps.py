from __future__ import annotations

from django.apps import AppConfig


class TrainingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "training"
    verbose_name = "Training records"
    # The pages under each entry of the main navigation (accounts.templatetags.muster).
    nav_pages = {"training": ("training_",)}

    def ready(self) -> None:
        # The checklist's training figures and the dashboard's currency summary come from here;
        # checklists offers the plug-in points and never imports this app.
        from checklists.archive.format import register_section
        from checklists.assessments import extensions
        from notifications import registry
        from training import archive, digest, figures

        extensions.register_computed_answers(figures.computed_answers)
        extensions.register_dashboard_panel(figures.dashboard_panel)
        extensions.register_snapshot_section("training", figures.snapshot_section)
        # Lapsing and lapsed training in the digest of the agency's coordinators and leads.
        registry.register_digest_source(digest.expiring)
        # The agency's archive (export_agency / import_agency) carries its training records.
        register_section(archive.SECTION)
