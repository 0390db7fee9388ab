def test_demo_flow_smoke(auth, make_practice, make_patient, client):
    practice = make_practice()
    lea = make_patient(practice, parent_mobile="0612345678", last_name="Lefèvre", first_name="Léa")
    make_patient(practice, parent_mobile="0612345678", last_name="Lefèvre", first_name="Hugo")
    r = auth.patient_first_signin(lea, "06 12 34 56 78")
    assert r.status_code == 303
    page = client.get("/").get_data(as_text=True)
    assert "Léa" in page and "Hugo" in page
