"""Each person's currency on each requirement, stored (training.currency.refresh keeps it), and
filled from the completions already recorded."""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models

from training.currency import anchor_of, lapse_day


def fill(apps, schema_editor):
    Requirement = apps.get_model("training", "Requirement")
    Completion = apps.get_model("training", "Completion")
    Currency = apps.get_model("training", "Currency")
    for requirement in Requirement.objects.prefetch_related("courses"):
        course_ids = {c.pk for c in requirement.courses.all()}
        done = Completion.objects.filter(
            course__in=course_ids, person__agency=requirement.agency_id
        ).values_list("person_id", "course_id", "completed_on", "hours")
        by_person = defaultdict(list)
        for person_id, *row in done:
            by_person[person_id].append(row)
        Currency.objects.bulk_create(
            [
                Currency(
                    requirement=requirement,
                    person_id=person_id,
                    lapses_on=(anchor := anchor_of(requirement, course_ids, rows))
                    and lapse_day(anchor, requirement.window_months),
                )
                for person_id, rows in by_person.items()
            ],
            batch_size=2000,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('training', '0001_training_records'),
    ]

    operations = [
        migrations.CreateModel(
            name='Currency',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('lapses_on', models.DateField(blank=True, null=True)),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='currency', to='training.person')),
                ('requirement', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='training.requirement')),
            ],
            options={
                'verbose_name_plural': 'currency',
                'constraints': [models.UniqueConstraint(models.F('requirement'), models.F('person'), name='training_currency_once_per_requirement')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
