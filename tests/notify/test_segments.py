"""What an SMS costs: GSM-7 or UCS-2, and how many parts (what the practice pays for)."""
import pytest

from portal.notify.segments import sms_cost

EXTENSION = "^{}\\[~]|€\f"


@pytest.mark.parametrize("length, segments", [
    (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4),
])
def test_gsm7_fits_160_then_153_per_part(length, segments):
    cost = sms_cost("a" * length)
    assert (cost.encoding, cost.units, cost.segments) == ("GSM-7", length, segments)
    assert cost.per_segment == (160 if segments == 1 else 153)


def test_empty_text_costs_nothing():
    assert sms_cost("").segments == 0


@pytest.mark.parametrize("char", list(EXTENSION))
def test_extension_characters_count_double(char):
    assert sms_cost(char).units == 2
    assert sms_cost(char).encoding == "GSM-7"
    assert sms_cost("a" * 158 + char).segments == 1
    assert sms_cost("a" * 159 + char).segments == 2


def test_eighty_euro_signs_fill_one_part_and_one_more_character_needs_two():
    assert sms_cost("€" * 80).segments == 1
    assert sms_cost("€" * 80 + "a").segments == 2


@pytest.mark.parametrize("text", [
    "Votre rendez-vous est confirmé",
    "Le Dr Lefèvre vous attend",
    "Rendez-vous à 14 h",
    "Où nous trouver",
    "Écrivez-nous",
    "L'appareil est pret",  # a straight apostrophe is plain GSM-7
])
def test_common_french_accents_stay_gsm7(text):
    assert sms_cost(text).encoding == "GSM-7"


@pytest.mark.parametrize("trap", ["’", "ê", "ô", "î", "ç", "–", "«", "œ", "À"])
def test_one_french_trap_switches_the_whole_text_to_ucs2(trap):
    text = f"Bonjour {trap} demain"
    cost = sms_cost(text)
    assert cost.encoding == "UCS-2"
    assert cost.units == len(text)


@pytest.mark.parametrize("length, segments", [
    (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4),
])
def test_ucs2_fits_70_then_67_per_part(length, segments):
    cost = sms_cost("ê" + "a" * (length - 1))
    assert (cost.encoding, cost.units, cost.segments) == ("UCS-2", length, segments)
    assert cost.per_segment == (70 if segments == 1 else 67)


def test_curly_apostrophes_turn_two_parts_into_three():
    straight = "Votre enfant a rendez-vous demain. Pensez à apporter l'appareil et la carte Vitale. " \
               "En cas d'empêchement prévenez le cabinet au plus tôt, merci de votre compréhension."
    assert sms_cost(straight.replace("ê", "e").replace("ô", "o")).segments == 2
    curly = straight.replace("'", "’").replace("ê", "e").replace("ô", "o")
    assert sms_cost(curly).encoding == "UCS-2"
    assert sms_cost(curly).segments == 3


def test_an_emoji_takes_two_utf16_units():
    assert sms_cost("😀").units == 2
    assert sms_cost("😀" * 35).segments == 1
    assert sms_cost("😀" * 35 + "a").segments == 2


def test_an_escape_sequence_is_not_split_between_parts():
    # 306 units is two full parts, but the € at units 153-154 cannot straddle them.
    assert sms_cost("a" * 152 + "€" + "a" * 152).segments == 3
    assert sms_cost("a" * 153 + "€" + "a" * 151).segments == 2


def test_a_surrogate_pair_is_not_split_between_parts():
    straddling = "ê" + "a" * 65 + "😀" + "a" * 66
    aligned = "ê" + "a" * 66 + "😀" + "a" * 65
    assert sms_cost(straddling).units == sms_cost(aligned).units == 134
    assert sms_cost(straddling).segments == 3
    assert sms_cost(aligned).segments == 2


def test_the_sign_in_code_message_fits_one_gsm7_part():
    body = ("Cabinet Dupont : votre code Sourire est 123456. Il expire dans 5 minutes. "
            "Ne le communiquez a personne.")
    assert sms_cost(body).encoding == "GSM-7"
    assert sms_cost(body).segments == 1
