import uuid


def _sign_up(client):
    email = f"{uuid.uuid4().hex}@example.com"
    resp = client.post("/users/", params={"email": email, "name": "Ada"})
    assert resp.status_code == 200
    return email, resp.json()["id"]


def test_sign_up_then_read_the_user(client, tables):
    _, user_id = _sign_up(client)
    assert client.get(f"/users/{user_id}").json()["name"] == "Ada"


def test_sign_up_twice_is_409(client, tables):
    email, _ = _sign_up(client)
    assert client.post("/users/", params={"email": email, "name": "Ada"}).status_code == 409


def test_profile_is_cached(client, tables):
    _, user_id = _sign_up(client)
    first = client.get(f"/users/{user_id}/profile").json()
    assert first["name"] == "Ada"
    assert client.get(f"/users/{user_id}/profile").json() == first
