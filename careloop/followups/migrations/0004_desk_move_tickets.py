"""The minimal follow-up ticket moved to the service desk (servicedesk 0002 copied every row first)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("followups", "0003_loop_client_series"),
        ("servicedesk", "0002_move_tickets"),
    ]

    operations = [
        migrations.DeleteModel(
            name="ServiceTicket",
        ),
    ]
