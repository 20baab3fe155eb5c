"""Satisfaction grading (请您阅卷) of the demo: one round per compound whose works are
finished. Accepted compounds graded a few weeks after the works ended, for a month, with
the QR form and a mobile number (kept only as the keyed hash
`consultation.services.grading.phone_hash` makes: one answer per phone); compounds just
completed are grading now, with printed slips for every dwelling (only the codes' keyed
hashes are kept), some already used. About 98 % satisfied or basically satisfied, as
the seeds report."""

from collections import defaultdict
from datetime import date, timedelta

from compounds.models import Compound, Dwelling
from consultation.demo import Demo, aware
from consultation.demo.texts import GRADING_COMMENTS
from consultation.models.codes import code_generate, code_hash
from consultation.models.grading import (
    ASPECTS,
    GradingCode,
    GradingResponse,
    GradingRound,
    Satisfaction,
)
from consultation.services.grading import phone_hash

LEVELS = [Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED]


def load(demo: Demo) -> dict[str, int]:
    have = set(GradingRound.objects.values_list("compound_id", flat=True))
    finished = sorted(p.compound_id for p in demo.projects.values()
                      if p.past("completed") and p.compound_id not in have)
    compounds = Compound.objects.select_related("community").in_bulk(finished)
    today = demo.now.date()
    rounds = []
    for compound_id in finished:
        project, compound = demo.projects[compound_id], compounds[compound_id]
        rng = demo.rng("grading", compound.community.name, compound.name)
        ended = project.actual_end or project.when("completed").date()
        if project.past("accepted"):
            opens = min(ended + timedelta(days=rng.randint(15, 40)), today - timedelta(days=40))
        else:  # just completed: grading now, before the acceptance
            opens = today - timedelta(days=rng.randint(3, 20))
        closes = opens + timedelta(days=30)
        staff = demo.staff_for(compound)
        rounds.append(GradingRound(
            compound=compound, title=f"{project.year}年老旧小区改造“请您阅卷”", opens_on=opens,
            closes_on=closes, opened_by=staff,
            closed_at=aware(closes + timedelta(days=1), 9) if closes < today else None,
            closed_by=staff if closes < today else None))
    GradingRound.objects.bulk_create(rounds, batch_size=500)

    dwellings = defaultdict(list)
    for compound_id, dwelling_id, phone in (
            Dwelling.objects.filter(building__compound_id__in=finished)
            .values_list("building__compound_id", "id", "owner_phone").order_by("id")):
        dwellings[compound_id].append((dwelling_id, phone))
    codes, answers = [], []
    for grading_round in rounds:
        rng = demo.rng("graded", grading_round.compound.name, grading_round.opens_on)
        issued = aware(grading_round.opens_on, 9)
        last = min(grading_round.closes_on, today)
        slips = grading_round.closed_at is None  # printed for the round under way
        phones = set()
        for dwelling_id, phone in dwellings[grading_round.compound_id]:
            code = None
            if slips:
                code = GradingCode(round=grading_round, dwelling_id=dwelling_id,
                                   issued_at=issued, code_hash=code_hash(code_generate()),
                                   issued_by=grading_round.opened_by)
                codes.append(code)
            if rng.random() >= 0.3:
                continue  # did not answer
            answer = _answer(demo, rng, grading_round, last)
            if phone and phone not in phones and (code is None or rng.random() < 0.4):
                phones.add(phone)
                answer.phone_hash = phone_hash(round_id=grading_round.pk, phone=phone)
            elif code is not None:
                answer.code, code.used_at = code, answer.submitted_at
            else:
                continue  # no phone and no slip: could not answer
            answers.append(answer)
    GradingCode.objects.bulk_create(codes, batch_size=2000)
    GradingResponse.objects.bulk_create(answers, batch_size=2000)
    return {"grading_rounds": len(rounds), "grading_codes": len(codes),
            "grading_responses": len(answers)}


def _answer(demo: Demo, rng, grading_round: GradingRound, last: date) -> GradingResponse:
    days = max(0, (last - grading_round.opens_on).days)
    submitted = demo.before_now(
        aware(grading_round.opens_on + timedelta(days=rng.randint(0, days)),
              rng.randint(9, 21), rng.randint(1, 59)), margin=timedelta(minutes=5))
    overall = rng.choices(LEVELS, [84, 14, 2])[0]
    marks = {aspect: overall if rng.random() < 0.75 else rng.choices(LEVELS, [80, 18, 2])[0]
             for aspect in ASPECTS}
    marks["overall"] = overall
    comments = rng.choice(GRADING_COMMENTS[overall]) if rng.random() < 0.2 else ""
    return GradingResponse(round=grading_round, comments=comments, submitted_at=submitted,
                           **marks)
