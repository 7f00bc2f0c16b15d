from careloop.messaging.signing import canonical_string, sign_params, signature, verify_params

NOW = 1_795_420_800.0  # 2026-11-23T08:00:00Z


def test_canonical_string_sorts_and_percent_encodes():
    params = {"mobile": "13800138000", "content": "【康乐】您好 a~b", "appKey": "k", "sign": "ignored"}
    assert canonical_string(params) == (
        "appKey=k&content=%E3%80%90%E5%BA%B7%E4%B9%90%E3%80%91%E6%82%A8%E5%A5%BD%20a~b&mobile=13800138000"
    )


def test_known_signature_value():
    # HMAC-SHA256("secret", "a=1&b=2") computed independently (openssl dgst -sha256 -hmac secret).
    assert signature({"b": "2", "a": "1"}, "secret") == (
        "604fe97c66c6393ff22e3cae366eee1131e351ebc736bf12f5d62e1755b7a233"
    )


def test_signed_params_verify_and_tampering_fails():
    signed = sign_params({"mobile": "13800138000", "content": "体检报告已出"}, app_key="app",
                         secret="s3", now=NOW, nonce="n1")
    assert signed["timestamp"] == str(int(NOW * 1000))
    assert verify_params(signed, secret="s3", now=NOW + 10)
    assert not verify_params(signed, secret="other", now=NOW)
    tampered = dict(signed, content="体检报告已出!")
    assert not verify_params(tampered, secret="s3", now=NOW)


def test_stale_or_nonce_less_requests_fail():
    signed = sign_params({"x": "1"}, app_key="app", secret="s", now=NOW, nonce="n")
    assert not verify_params(signed, secret="s", now=NOW + 301)
    assert not verify_params(dict(signed, nonce=""), secret="s", now=NOW)
    assert not verify_params(dict(signed, timestamp="abc"), secret="s", now=NOW)
