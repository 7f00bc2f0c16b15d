from careloop.messaging.segments import count_segments


def test_empty_text_costs_nothing():
    result = count_segments("")
    assert (result.encoding, result.units, result.segments) == ("gsm7", 0, 0)


def test_chinese_fits_seventy_in_one_sms():
    result = count_segments("体" * 70)
    assert (result.encoding, result.units, result.segments, result.remaining) == ("ucs2", 70, 1, 0)


def test_chinese_seventy_one_takes_two_parts_of_sixty_seven():
    result = count_segments("体" * 71)
    assert (result.segments, result.per_segment, result.remaining) == (2, 67, 63)


def test_chinese_long_text_counts_67_per_part():
    assert count_segments("检" * 134).segments == 2
    assert count_segments("检" * 135).segments == 3


def test_one_chinese_character_turns_latin_text_into_ucs2():
    result = count_segments("a" * 69 + "好")
    assert (result.encoding, result.segments) == ("ucs2", 1)
    assert count_segments("a" * 70 + "好").segments == 2


def test_plain_latin_uses_gsm7_limits():
    assert count_segments("a" * 160).segments == 1
    assert count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3


def test_gsm7_extension_characters_cost_two_septets_and_are_not_split():
    result = count_segments("€" * 80)
    assert (result.encoding, result.units, result.segments) == ("gsm7", 160, 1)
    # 152 plain + one escape pair does not fit 153: the pair moves whole to the next part.
    assert count_segments("a" * 152 + "€" + "a" * 10).segments == 2
    assert count_segments("a" * 152 + "€" + "a" * 10).remaining == 153 - 12


def test_emoji_counts_two_units_and_is_not_split():
    result = count_segments("😀" * 35)
    assert (result.encoding, result.units, result.segments) == ("ucs2", 70, 1)
    assert count_segments("好" * 66 + "😀" + "好").segments == 1  # 69 units
    long = count_segments("好" * 66 + "😀" + "好" * 3)  # 71 units: the pair may not straddle parts
    assert (long.units, long.segments, long.remaining) == (71, 2, 67 - 5)


def test_signature_brackets_are_ucs2():
    assert count_segments("【康乐健康】您好").encoding == "ucs2"
