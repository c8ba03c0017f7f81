"""Deterministic demo data: the Yangjiang annex categories, partner venues, measures, accounts and ~1,000 subjects."""
import datetime as dt
import random
from dataclasses import dataclass

import sqlalchemy as sa
from stdnum.cn import ric, uscc

from app.domain.lists import listing_expiry
from app.errors import Conflict
from app.extensions import db
from app.models import Department, ListCategory, ListEntry, Venue
from app.services import accounts, imports, measures, subjects

ACTOR = "seed-demo"
STAFF_PASSWORD = "Staff@2026"
ADMIN_PASSWORD = "Admin@2026"
MANAGER_PASSWORD = "Manager@2026"
MANAGER_VENUE = "LIB"  # the library runs its own measures and counters in the demo

DEPARTMENTS = [
    ("WSJ", "市卫生健康局"), ("WMB", "市文明办"), ("ZGH", "市总工会"), ("GAJ", "市公安局"),
    ("JTJ", "市交通运输局"), ("TSW", "团市委"), ("FL", "市妇联"), ("JYJ", "市教育局"),
    ("ZJJ", "市住房城乡建设局"), ("GSL", "市工商联"), ("FGJ", "市发展改革局（市信用办）"),
    ("SJJ", "市市场监管局"), ("SWJ", "市税务局"), ("HG", "阳江海关"), ("WLJ", "市文化广电旅游体育局"),
    ("ZWJ", "市政务服务管理局"), ("RMYH", "人民银行阳江市中心支行"),
]

# 《阳江市守信激励对象清单》(seed 002): 11 person and 7 enterprise categories with their reporting departments.
CATEGORIES = [
    ("P01", "驰援湖北参与抗击新冠肺炎疫情的医务人员", "person", "WSJ"),
    ("P02", "道德模范、诚信之星、阳江好人", "person", "WMB"),
    ("P03", "劳动模范和先进工作者、五一劳动奖章", "person", "ZGH"),
    ("P04", "公安系统英雄模范、特级优秀人民警察", "person", "GAJ"),
    ("P05", "交通运输系统劳动模范、先进工作者", "person", "JTJ"),
    ("P06", "五四奖章、青年岗位能手、优秀青年志愿者等青年荣誉", "person", "TSW"),
    ("P07", "三八红旗手、巾帼建功标兵、五好家庭、最美家庭", "person", "FL"),
    ("P08", "模范教师、教书育人楷模、优秀教师", "person", "JYJ"),
    ("P09", "工程勘察设计大师、梁思成建筑奖", "person", "ZJJ"),
    ("P10", "优秀民营企业家、热爱企业优秀员工", "person", "GSL"),
    ("P11", "其他以诚实守信为重要表彰条件的荣誉个人", "person", "FGJ"),
    ("E01", "守合同重信用企业、政府质量奖", "enterprise", "SJJ"),
    ("E02", "A级纳税人企业", "enterprise", "SWJ"),
    ("E03", "交通运输工程建设领域守信典型企业", "enterprise", "JTJ"),
    ("E04", "海关高级认证企业", "enterprise", "HG"),
    ("E05", "信用协会会同行业协会评定的诚信企业", "enterprise", "FGJ"),
    ("E06", "实施激励措施且无严重失信行为的企业", "enterprise", "FGJ"),
    ("E07", "其他以诚实守信为重要表彰条件的荣誉企业", "enterprise", "FGJ"),
]

VENUES = [
    ("BUS", "阳江市公共汽车有限公司", "travel", "江城区东风三路 12 号"),
    ("LIB", "阳江市图书馆", "reading", "江城区金山路 30 号"),
    ("HOSP", "阳江市人民医院", "medical", "江城区东山路 42 号"),
    ("HOTEL", "阳江国际大酒店", "tourism", "江城区二环路 88 号"),
    ("SCENIC", "海陵岛大角湾景区", "tourism", "海陵岛闸坡镇"),
    ("GOV", "阳江市政务服务中心", "approval", "江城区金山路 1 号"),
    ("BANK", "阳江农商银行", "loan", "江城区新江北路 5 号"),
]

MEASURES = [
    dict(code="XY-XING-01", title="守信个人乘坐市内公交车5折优惠", scenario="travel", provider="BUS", lead="JTJ",
         kinds=["person"], benefit={"pay_percent": 50}, description="在公交卡充值或乘车扫码时实施。"),
    dict(code="XY-XING-02", title="交通运输系统劳动模范免费乘车", scenario="travel", provider="BUS", lead="JTJ",
         kinds=["person"], categories=["P05"], benefit={"free": True},
         description="限交通运输系统劳动模范、先进工作者。"),
    dict(code="XY-YUE-01", title="信用借阅：免押金、按信用等级增加借阅量和借期", scenario="reading", provider="LIB",
         lead="WLJ", kinds=["person"],
         benefit={"deposit_waived": True,
                  "tiers": [{"min_grade": "A", "books": 3, "extra_loan_days": 30},
                            {"min_grade": "AA", "books": 4, "extra_loan_days": 60},
                            {"min_grade": "AAA", "books": 5, "extra_loan_days": 60}],
                  "caps": {"books": 5, "extra_loan_days": 60}},
         description="青州经验：根据信用等级可借图书增加至3本、4本，上限5本；借期延长30天、60天，上限60天。"),
    dict(code="XY-YI-01", title="免交住院押金、出院手续容缺办理", scenario="medical", provider="HOSP", lead="WSJ",
         kinds=["person"], benefit={"deposit_waived": True, "paperwork_tolerance": True}),
    dict(code="XY-YI-02", title="守信个人免费健康体检", scenario="medical", provider="HOSP", lead="WSJ",
         kinds=["person"], min_grade="A", benefit={"free_checkup": True}, description="信用等级 A 及以上，每年一次。"),
    dict(code="XY-YOU-01", title="景区门票免费，随行直系亲属5折", scenario="tourism", provider="SCENIC", lead="WLJ",
         kinds=["person"], benefit={"free": True, "family_pay_percent": 50}, description="重大节假日除外。"),
    dict(code="XY-YOU-02", title="酒店住宿免押金、房费88折", scenario="tourism", provider="HOTEL", lead="WLJ",
         kinds=["person"], benefit={"deposit_waived": True, "pay_percent": 88, "note": "免查房、免排队退房"}),
    dict(code="XY-PI-01", title="行政审批绿色通道、容缺受理", scenario="approval", provider="GOV", lead="ZWJ",
         kinds=["enterprise"], benefit={"priority": True, "paperwork_tolerance": True, "time_cut_percent": 33},
         description="办理时限在规定时限内平均压缩三分之一以上。"),
    dict(code="XY-PI-02", title="个人事项优先办理", scenario="approval", provider="GOV", lead="ZWJ",
         kinds=["person"], benefit={"priority": True}),
    dict(code="XY-DAI-01", title="信易贷：守信企业贷款利率下浮", scenario="loan", provider="BANK", lead="RMYH",
         kinds=["enterprise"], min_grade="A",
         benefit={"rate_cut_bp": 30, "tiers": [{"min_grade": "AA", "rate_cut_bp": 50},
                                              {"min_grade": "AAA", "rate_cut_bp": 80}],
                  "note": "精简审批程序"}),
    dict(code="XY-DAI-02", title="守信个人消费贷款免抵押", scenario="loan", provider="BANK", lead="RMYH",
         kinds=["person"], min_grade="AA", benefit={"note": "免抵押担保，额度上浮20%"}),
    dict(code="XY-YOU-03", title="景区年卡8折（已停止）", scenario="tourism", provider="SCENIC", lead="WLJ",
         kinds=["person"], benefit={"pay_percent": 80}, withdrawn=True),
    dict(code="XY-XING-03", title="公共自行车免押金、延长免费骑行时间（申请中）", scenario="travel", provider="BUS",
         lead="JTJ", kinds=["person"], benefit={"deposit_waived": True}, publish=False),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢冯邓许韩曹彭曾"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂文华建国志红玉梅海波宁"
COMPANY_WORDS = ["海陵", "漠阳", "南鹏", "江城", "阳东", "阳西", "闸坡", "东平", "溪头", "合山"]
COMPANY_TRADES = ["五金制品", "水产", "物流", "建筑工程", "食品", "刀剪", "电子", "旅游开发", "农业科技", "商贸"]
GRADE_WEIGHTS = [("AAA", 10), ("AA", 20), ("A", 30), ("B", 10), ("", 30)]


@dataclass
class DemoIdentity:
    """A demo identity worth trying, printed by seed-demo (the only place a full ID number is shown)."""

    label: str
    kind: str
    name: str
    id_number: str


def resident_id(address_code: str, birth: dt.date, sequence: int) -> str:
    """A resident ID (or HK/Macao/Taiwan residence permit) with its GB 11643 check character."""
    body = f"{address_code}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a check-digit placeholder


def person_id(rng: random.Random, born_from: int = 1950, born_to: int = 2005) -> str:
    """A valid Yangjiang resident ID; those born before 1988 hold codes younger than themselves, as real ones do."""
    birth = dt.date(born_from, 1, 1) + dt.timedelta(days=rng.randrange((born_to - born_from) * 365))
    return resident_id(f"4417{rng.choice(['00', '02', '21'])}", birth, rng.randrange(1000))


def enterprise_code(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91441702" + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def _csv(rows: list[tuple]) -> bytes:
    lines = ["kind,name,id_number,category,recognized_on,grade"] + [",".join(map(str, row)) for row in rows]
    return "\n".join(lines).encode()


def _already_seeded() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Department)) > 0


def seed(today: dt.date, listed_count: int = 1000) -> list[DemoIdentity]:
    """Load the demo data once (deterministic for a given `today`); returns the identities worth trying."""
    if _already_seeded():
        raise Conflict("already_seeded", "演示数据已存在；如需重建请先清空数据库")
    venues = seed_catalogue()
    for code, venue in venues.items():
        accounts.create_account(f"staff_{code.lower()}", STAFF_PASSWORD, "staff", ACTOR, venue_id=venue.id,
                                display_name=f"{venue.name}柜台")
    accounts.create_account("admin", ADMIN_PASSWORD, "admin", ACTOR, display_name="市信用办管理员")
    accounts.create_account(f"manager_{MANAGER_VENUE.lower()}", MANAGER_PASSWORD, "manager", ACTOR,
                            venue_id=venues[MANAGER_VENUE].id, display_name=f"{venues[MANAGER_VENUE].name}管理员")
    return _seed_subjects(random.Random(2026), today, listed_count)


def seed_catalogue() -> dict[str, Venue]:
    """Departments, the annex categories, venues and measures, in one transaction; returns venues by code."""
    departments = {code: Department(code=code, name=name) for code, name in DEPARTMENTS}
    db.session.add_all(departments.values())
    db.session.add_all(ListCategory(code=code, name=name, kind=kind, department=departments[dept])
                       for code, name, kind, dept in CATEGORIES)
    venues = {code: Venue(code=code, name=name, scenario=scenario, address=address)
              for code, name, scenario, address in VENUES}
    db.session.add_all(venues.values())
    db.session.flush()
    for spec in MEASURES:
        measure = measures.create_measure(
            code=spec["code"], title=spec["title"], scenario=spec["scenario"], provider=venues[spec["provider"]],
            kinds=spec["kinds"], benefit=spec["benefit"], valid_from=dt.date(2025, 1, 1),
            valid_to=dt.date(2027, 12, 31), category_codes=spec.get("categories"), min_grade=spec.get("min_grade"),
            description=spec.get("description", ""), lead_department_id=departments[spec["lead"]].id,
            publish=spec.get("publish", True), actor=ACTOR)
        if spec.get("withdrawn"):
            measure.status, measure.withdrawn_on = "withdrawn", dt.date(2026, 6, 30)
    db.session.commit()
    return venues


def _seed_subjects(rng: random.Random, today: dt.date, listed_count: int) -> list[DemoIdentity]:
    person_codes = [code for code, _, kind, _ in CATEGORIES if kind == "person"]
    enterprise_codes = [code for code, _, kind, _ in CATEGORIES if kind == "enterprise"]
    grades = [grade for grade, weight in GRADE_WEIGHTS for _ in range(weight)]

    def recent() -> dt.date:
        return today - dt.timedelta(days=rng.randrange(10, 700))

    showcase = [
        DemoIdentity("已列入名单的个人（AAA，可用全部个人措施）", "person", "王守信", person_id(rng)),
        DemoIdentity("已列入名单的个人（无信用等级）", "person", "李诚", person_id(rng)),
        DemoIdentity("交通运输系统劳动模范（B级）", "person", "陈路平", person_id(rng)),
        DemoIdentity("已列入名单的企业（AAA）", "enterprise", "阳江市海陵五金制品有限公司", enterprise_code(rng)),
        DemoIdentity("名单已过期的个人", "person", "赵过期", person_id(rng)),
        DemoIdentity("因严重失信被暂停的个人", "person", "钱暂停", person_id(rng)),
        DemoIdentity("有严重失信记录、不得列入的个人", "person", "孙失信", person_id(rng)),
        DemoIdentity("未列入名单的个人", "person", "周未列", person_id(rng)),
        DemoIdentity("阳江江城区居民，1965年出生（地址码设立于1988年）", "person", "冯海生",
                     resident_id("441702", dt.date(1965, 3, 12), 213)),
        DemoIdentity("香港居民（港澳台居民居住证）", "person", "陈家明",
                     resident_id("810000", dt.date(1983, 7, 1), 35)),
        DemoIdentity("少数民族姓名（含间隔号）", "person", "阿依古丽·买买提",
                     resident_id("650102", dt.date(1992, 5, 20), 46)),
    ]
    rows = [
        ("person", showcase[0].name, showcase[0].id_number, "P02", recent(), "AAA"),
        ("person", showcase[0].name, showcase[0].id_number, "P03", recent(), "AAA"),
        ("person", showcase[1].name, showcase[1].id_number, "P08", recent(), ""),
        ("person", showcase[2].name, showcase[2].id_number, "P05", recent(), "B"),
        ("enterprise", showcase[3].name, showcase[3].id_number, "E02", recent(), "AAA"),
        ("person", showcase[5].name, showcase[5].id_number, "P06", recent(), "AA"),
        *(("person", who.name, who.id_number, category, recent(), grade)
          for who, category, grade in zip(showcase[8:], ("P03", "P10", "P01"), ("AA", "A", ""), strict=True))
    ]
    for index in range(listed_count - len(rows)):
        if index % 10 == 9:
            name = f"阳江市{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_TRADES)}有限公司{index:03d}"
            rows.append(("enterprise", name, enterprise_code(rng), rng.choice(enterprise_codes), recent(),
                         rng.choice(grades)))
        else:
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            rows.append(("person", name, person_id(rng), rng.choice(person_codes), recent(), rng.choice(grades)))
    report = imports.import_list("demo-list.csv", _csv(rows), ACTOR, today)
    assert report.refused == 0, report.errors[:3]

    expired = subjects.new_subject("person", showcase[4].id_number, showcase[4].name)
    db.session.add(expired)
    category = db.session.scalar(sa.select(ListCategory).where(ListCategory.code == "P07"))
    recognized = today - dt.timedelta(days=800)
    db.session.add(ListEntry(subject=expired, category=category, recognized_on=recognized,
                             expires_on=listing_expiry(recognized)))
    db.session.commit()
    dishonesty = ("kind,id_number,name,recorded_on,authority,summary\n"
                  f"person,{showcase[5].id_number},{showcase[5].name},{today - dt.timedelta(days=30)},"
                  "市人民法院,拒不履行生效判决\n"
                  f"person,{showcase[6].id_number},{showcase[6].name},{today - dt.timedelta(days=200)},"
                  "市税务局,偷逃税款\n")
    imports.import_dishonesty("demo-dishonesty.csv", dishonesty.encode(), ACTOR, today)
    return showcase
