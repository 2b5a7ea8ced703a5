"""Demo data: a regulator, two bodies with scope and staff, batches in every state, issued certificates.

Holders are fake: their ID numbers carry province-level area codes (such as 310000) that are never
issued to a person, with valid check characters so that every validator accepts them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from certificates import make_foreign_permanent_id, make_resident_id, make_uscc
from registry.errors import InvalidInput
from registry.models import Certificate, PublishedStandard, User, pk
from registry.services import batches as batch_service
from registry.services import bodies as body_service
from registry.services.actors import SYSTEM, Actor
from registry.services.batches import CandidateInput
from registry.services.issuance import approve_batch
from registry.services.keys import KeyVault, init_root, root_key
from registry.services.revocation import reissue_certificate, revoke_certificate
from registry.services.standards import in_force_on
from registry.services.users import create_user

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  (printed for people trying the demo)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷"
    "龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鹏飞宇浩然欣怡子涵"
    "梓轩晨曦思远嘉琪雨桐俊杰志强海燕春梅国庆建华丽娟晓东"
)


@dataclass(frozen=True)
class _BodySpec:
    key: str
    name: str
    kind: str
    credit17: str
    province: str
    body_code: str
    site_code: str
    contact: str
    phone: str
    scope: tuple[tuple[str, str | None, tuple[int, ...]], ...]


BODIES = (
    _BodySpec("y", "华东示范电力有限公司（演示数据）", "Y", "91310000MA1FL0001", "31", "0000", "310001",
              "周建华", "021-5555-0101", (("6-31-01-03", None, (5, 4, 3, 2, 1)), ("6-18-02-04", None, (5, 4, 3)))),
    _BodySpec("s", "岭南示范职业技能评价中心（演示数据）", "S", "52440000MJL000207", "44", "0207", "440106",
              "梁嘉琪", "020-5555-0202",
              (("4-10-01-06", None, (5, 4, 3, 2)), ("4-03-02-01", None, (5, 4, 3)), ("4-02-07-10", None, (5, 4)))),
)

# body key, occupation, level, 工种, assessed on, candidates, failing, final state
BATCHES = (
    ("y", "6-31-01-03", 4, None, date(2026, 3, 14), 24, 2, "issued"),
    ("y", "6-31-01-03", 2, None, date(2026, 4, 18), 6, 0, "issued"),
    ("y", "6-31-01-03", 3, None, date(2026, 6, 6), 8, 1, "submitted"),
    ("y", "6-18-02-04", 5, "电焊工", date(2026, 6, 20), 5, 0, "draft"),
    ("s", "4-10-01-06", 5, "母婴护理员", date(2026, 3, 28), 26, 3, "issued"),
    ("s", "4-03-02-01", 4, None, date(2026, 5, 16), 6, 1, "returned"),
    ("s", "4-02-07-10", 5, None, date(2026, 6, 13), 7, 0, "submitted"),
)


def load_demo(session: Session, *, vault: KeyVault, now: datetime) -> str:
    """Create the demo data unless it is already there; return what to print."""
    if session.exec(select(User.id).where(User.username == "regulator")).first() is None:
        _create(session, vault=vault, now=now)
    return _summary(session)


def _create(session: Session, *, vault: KeyVault, now: datetime) -> None:
    if session.exec(select(PublishedStandard.id)).first() is None:
        raise InvalidInput("standards-missing", "请先运行 registry standards sync。",
                           "Run `registry standards sync` first.", field="standards")
    rng = random.Random(2026)  # noqa: S311  (fake data, reproducible)
    create_user(session, username="regulator", display_name="省人社厅职业技能鉴定中心", password=DEMO_PASSWORD,
                role="regulator", body_id=None, actor=SYSTEM, now=now)
    if root_key(session) is None:
        init_root(session, vault, actor=SYSTEM, now=now)
    staff: dict[str, dict[str, Actor]] = {}
    body_ids: dict[str, int] = {}
    for spec in BODIES:
        body = body_service.file_body(session, actor=SYSTEM, vault=vault, now=now, filing=body_service.BodyFiling(
            name=spec.name, kind=spec.kind, credit_code=make_uscc(spec.credit17), province=spec.province,
            body_code=spec.body_code, site_code=spec.site_code, contact_name=spec.contact, contact_phone=spec.phone))
        body_ids[spec.key] = pk(body)
        for code, work_type, levels in spec.scope:
            body_service.add_scope(session, body_id=pk(body), occupation_code=code, work_type=work_type,
                                   levels=list(levels), valid_from=date(2024, 1, 1), valid_to=date(2028, 12, 31),
                                   actor=SYSTEM, now=now)
        staff[spec.key] = {}
        for role in ("body_admin", "assessor", "supervisor"):  # pages show the role next to the name
            user = create_user(session, username=f"{spec.key}-{role.replace('_', '-')}",
                               display_name=_name(rng), password=DEMO_PASSWORD, role=role,
                               body_id=pk(body), actor=SYSTEM, now=now)
            staff[spec.key][role] = Actor.of(user)
    people = 0
    for key, code, level, work_type, assessed_on, count, failing, state in BATCHES:
        team = staff[key]
        standard = in_force_on(session, code, assessed_on)
        assert standard is not None  # noqa: S101  (shipped catalogue)
        batch = batch_service.open_batch(
            session, body_id=body_ids[key], standard_code=code, standard_version=standard.version, level=level,
            work_type=work_type, assessed_on=assessed_on, place=_place(key), actor=team["assessor"], now=now)
        kinds = ("theory", "skill", "review") if level <= 2 else ("theory", "skill")
        candidates = [_candidate(rng, people + i, kinds, fail=i < failing) for i in range(count)]
        people += count
        batch_service.add_candidates(session, batch_id=pk(batch), candidates=candidates, actor=team["assessor"],
                                     now=now)
        if state == "draft":
            continue
        batch_service.submit_batch(session, batch_id=pk(batch), actor=team["assessor"], now=now)
        if state == "returned":
            batch_service.return_batch(session, batch_id=pk(batch), actor=team["supervisor"], now=now,
                                       reason="技能考核评分表缺少考评员签字，请补正后重新提交。")
        elif state == "issued":
            approve_batch(session, batch_id=pk(batch), approved_by=team["supervisor"], vault=vault, now=now)
    issued = session.exec(select(Certificate).order_by(col(Certificate.id))).all()
    revoke_certificate(session, number=issued[30].number, reason="fraud", note="申报材料中的工作年限证明系伪造。",
                       actor=staff["s"]["supervisor"], now=now)
    old = issued[2]
    reissue_certificate(session, number=old.number, holder_name=old.holder_name + "明",
                        reason="持证人姓名录入有误，更正后换发。", actor=staff["y"]["supervisor"],
                        vault=vault, now=now)


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(SURNAMES) + given


def _place(key: str) -> str:
    return "上海市浦东新区电力实训基地" if key == "y" else "广州市天河区岭南技能实训楼"


def _candidate(rng: random.Random, index: int, kinds: tuple[str, ...], *, fail: bool) -> CandidateInput:
    birth = date(rng.randint(1968, 2004), rng.randint(1, 12), rng.randint(1, 28))
    if index == 7:
        name, id_type, number = "欧阳𬘭", "resident", make_resident_id("440000", birth, 100 + index)
    elif index == 11:
        name, id_type, number = "Anna Müller", "foreign_permanent", make_foreign_permanent_id("31", "276", birth, 11)
    else:
        name, id_type = _name(rng), "resident"
        number = make_resident_id(rng.choice(("310000", "440000", "320000", "430000")), birth, 100 + index)
    scores = {kind: rng.randint(62, 96) for kind in kinds}
    if fail:
        scores[kinds[-1]] = rng.randint(35, 59)
    return CandidateInput(name=name, id_type=id_type, id_number=number, scores=scores)


def _summary(session: Session) -> str:
    usernames = session.exec(select(User.username).order_by(col(User.id))).all()
    certs = session.exec(select(Certificate).order_by(col(Certificate.id))).all()
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {name}" for name in usernames if name == "regulator" or name[:2] in ("y-", "s-")]
    lines.append(f"{len(certs)} certificates issued. Try these (证书编号 + 姓名):")
    by_status = {status: next((c for c in certs if c.status == status), None)
                 for status in ("valid", "revoked", "superseded")}
    for status, cert in by_status.items():
        if cert is not None:
            lines.append(f"  {cert.number}  {cert.holder_name}  ({status})")
    return "\n".join(lines)
