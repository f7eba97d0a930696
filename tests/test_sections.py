"""web.Sections: the place on a lower domain's page where the domains above add sections."""

from reintegration.web import Section, Sections


def test_a_place_with_no_section_makes_none():
    assert Sections("empty").made(1, user=None) == []


def test_each_section_is_made_from_the_page_arguments_in_the_order_registered():
    place = Sections("facility")

    @place.register
    def first(thing, user):
        return Section("first.html", {"thing": thing, "user": user})

    @place.register
    def second(thing, user):
        return Section("second.html")

    made = place.made("facility 7", user="an officer")

    assert made == [
        Section("first.html", {"thing": "facility 7", "user": "an officer"}),
        Section("second.html", {}),
    ]
    assert first("x", "y").template == "first.html"  # register hands the maker back


def test_a_section_registered_again_is_made_once():
    place = Sections("course")

    def outcome(course):
        return Section("outcome.html", {"course": course})

    place.register(outcome)
    place.register(outcome)

    assert place.made("course") == [Section("outcome.html", {"course": "course"})]
    assert repr(place) == "Sections('course')"
