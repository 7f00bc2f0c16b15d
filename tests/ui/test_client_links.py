"""The client page links to the other apps' screens for the roles that may use them."""

from django.test import Client as WebClient


def page(user, client):
    browser = WebClient()
    browser.force_login(user)
    return browser.get(f"/clients/{client.pk}/").content.decode()


def test_nurse_sees_encounter_checkup_and_assessment_links(world):
    html = page(world.nurse, world.own)
    for url in (f"/followups/clients/{world.own.pk}/encounters/new/", f"/checkups/client/{world.own.pk}/",
                f"/assessments/client/{world.own.pk}/questionnaire/", f"/assessments/client/{world.own.pk}/tcm/"):
        assert f'href="{url}"' in html


def test_customer_service_gets_no_health_links(world):
    html = page(world.service, world.own)
    assert "/checkups/client/" not in html and "/assessments/client/" not in html and "/encounters/new/" not in html
