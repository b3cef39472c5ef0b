import datetime

import pytest

from audit.models import AuditEvent
from core.errors import Conflict, ValidationFailed
from governance import services
from governance.models import Affair, AffairApplication, ListVersion, TaskRefusal
from governance.services import AffairRow

from .conftest import ACTOR

pytestmark = pytest.mark.django_db


def written():
    return (ListVersion.objects.count(), Affair.objects.count(), AffairApplication.objects.count(),
            TaskRefusal.objects.count(), AuditEvent.objects.count())


class TestPublishing:
    def test_a_list_is_published_as_version_one_with_its_affairs_numbered(self, world, affair_list):
        assert affair_list.number == 1 and affair_list.reason == "initial"
        affairs = list(Affair.objects.on_version(affair_list).order_by("number"))
        assert [a.number for a in affairs] == [1, 2, 3]
        assert AuditEvent.objects.filter(action="governance.list.published").count() == 1

    def test_only_a_district_keeps_a_list(self, world, departments):
        row = AffairRow("某事项", "host", "某法", departments["甲市一区民政局"])
        before = written()
        with pytest.raises(ValidationFailed):
            services.affair_list_replace(actor=ACTOR, district=world.node("甲市一区一街"), rows=[row])
        assert written() == before

    def test_an_affair_names_a_department_of_the_district_and_its_legal_basis(self, world, departments):
        district = world.node("甲市一区")
        operator = world.organisations["甲市一区一街一社服务中心"]
        before = written()
        for row in (AffairRow("某事项", "host", "某法", operator),
                    AffairRow("某事项", "host", "某法", departments["乙市一区民政局"]),
                    AffairRow("某事项", "host", " ", departments["甲市一区民政局"]),
                    AffairRow("某事项", "lead", "某法", departments["甲市一区民政局"])):
            with pytest.raises(ValidationFailed):
                services.affair_list_replace(actor=ACTOR, district=district, rows=[row])
        assert written() == before

    def test_the_same_affair_twice_in_one_list_is_refused(self, world, departments):
        dept = departments["甲市一区民政局"]
        with pytest.raises(ValidationFailed) as refused:
            services.affair_list_replace(actor=ACTOR, district=world.node("甲市一区"), rows=[
                AffairRow("高龄津贴申领初审", "host", "某法", dept), AffairRow("高龄津贴 申领初审。", "host", "某法", dept)])
        assert "affairs.2" in refused.value.fields

    def test_reimporting_the_same_list_changes_nothing(self, world, departments, affair_list):
        rows = [AffairRow(a.title, a.role, a.legal_basis, a.department) for a in Affair.objects.current().order_by("number")]
        before = written()
        assert services.affair_list_replace(actor=ACTOR, district=world.node("甲市一区"), rows=rows) is None
        assert written() == before

    def test_an_import_makes_a_new_version_and_old_versions_stay_readable(self, world, departments, affair_list):
        dept = departments["甲市一区民政局"]
        rows = [AffairRow("高龄津贴申领初审", "host", "《福建省老年人权益保障条例》", dept),
                AffairRow("残疾人两项补贴初审", "host", "《国务院关于全面建立困难残疾人生活补贴制度的意见》", dept)]
        version = services.affair_list_replace(actor=ACTOR, district=world.node("甲市一区"), rows=rows,
                                               effective_on=datetime.date(2026, 3, 1))
        assert version.number == 2 and version.reason == "import"
        assert [a.title for a in Affair.objects.on_version(version).order_by("number")] == ["高龄津贴申领初审", "残疾人两项补贴初审"]
        assert Affair.objects.on_version(affair_list).count() == 3

    def test_a_version_cannot_take_effect_before_the_one_in_force(self, world, departments, affair_list):
        before = written()
        with pytest.raises(ValidationFailed):
            services.list_review(actor=ACTOR, district=world.node("甲市一区"), remove=[],
                                 reviewed_on=datetime.date(2025, 12, 1))
        assert written() == before


class TestApplications:
    def apply(self, world, departments, title="社区团购食品安全巡查", **kw):
        return services.application_file(actor=ACTOR, district=world.node("甲市一区"), department=departments["甲市一区卫生健康局"],
                                         title=title, role="assist", legal_basis="《食品安全法》", **kw)

    def test_an_application_for_an_affair_already_on_the_list_is_refused(self, world, departments, affair_list):
        before = written()
        with pytest.raises(ValidationFailed) as refused:
            self.apply(world, departments, title="高龄津贴申领初审")
        assert "第" in str(refused.value.fields["title"][0]) or "item 2" in str(refused.value.fields["title"][0])
        assert written() == before

    def test_a_second_pending_application_for_the_same_task_is_refused(self, world, departments, affair_list):
        self.apply(world, departments)
        before = written()
        with pytest.raises(Conflict):
            self.apply(world, departments, title="社区团购 食品安全巡查")
        assert written() == before

    def test_the_applicant_is_a_government_department(self, world, departments, affair_list):
        with pytest.raises(ValidationFailed):
            services.application_file(actor=ACTOR, district=world.node("甲市一区"), department=world.organisations["甲市一区慈善会"],
                                      title="某任务", role="host", legal_basis="某法")

    def test_admitting_makes_a_new_version_with_the_affair_last(self, world, departments, affair_list):
        application = self.apply(world, departments)
        affair = services.application_admit(actor=ACTOR, application=application, effective_on=datetime.date(2026, 2, 1))
        application.refresh_from_db()
        assert application.status == "admitted" and application.affair == affair
        assert affair.number == 4 and affair.added_in.number == 2 and affair.added_in.reason == "admission"
        assert Affair.objects.on_version(affair.added_in).count() == 4
        assert AuditEvent.objects.filter(action="governance.application.admitted").count() == 1

    def test_a_decided_application_is_not_decided_again(self, world, departments, affair_list):
        application = self.apply(world, departments)
        services.application_refuse(actor=ACTOR, application=application, reasons="属于部门职责，不得转嫁社区")
        before = written()
        with pytest.raises(Conflict):
            services.application_admit(actor=ACTOR, application=application)
        assert written() == before

    def test_a_refusal_needs_reasons(self, world, departments, affair_list):
        application = self.apply(world, departments)
        with pytest.raises(ValidationFailed):
            services.application_refuse(actor=ACTOR, application=application, reasons="  ")
        application.refresh_from_db()
        assert application.status == "pending"


class TestRefusingTasks:
    def test_a_community_refuses_a_task_not_on_the_list_citing_the_version(self, world, departments, affair_list):
        refusal = services.task_refuse(actor=ACTOR, community=world.node("甲市一区一街一社"),
                                       department=departments["甲市一区人力资源和社会保障局"], title="企业用工情况入户统计")
        assert refusal.version == affair_list
        assert AuditEvent.objects.filter(action="governance.task.refused").count() == 1

    def test_a_task_on_the_list_cannot_be_refused(self, world, departments, affair_list):
        before = written()
        with pytest.raises(ValidationFailed) as refused:
            services.task_refuse(actor=ACTOR, community=world.node("甲市一区一街一社"),
                                 department=departments["甲市一区民政局"], title="高龄津贴申领初审")
        assert "title" in refused.value.fields
        assert written() == before

    def test_without_a_list_there_is_nothing_to_cite(self, world, departments):
        with pytest.raises(ValidationFailed):
            services.task_refuse(actor=ACTOR, community=world.node("甲市一区一街一社"),
                                 department=departments["甲市一区民政局"], title="某任务")

    def test_only_a_community_refuses(self, world, departments, affair_list):
        with pytest.raises(ValidationFailed):
            services.task_refuse(actor=ACTOR, community=world.node("甲市一区一街"),
                                 department=departments["甲市一区民政局"], title="某任务")


class TestYearlyReview:
    def test_a_review_removes_and_confirms_in_a_new_version(self, world, departments, affair_list):
        district = world.node("甲市一区")
        removed = Affair.objects.get(title="家庭医生签约服务宣传")
        version = services.list_review(actor=ACTOR, district=district, remove=[removed], reviewed_on=datetime.date(2027, 1, 5))
        assert version.reason == "review" and version.effective_on == datetime.date(2027, 1, 5)
        assert Affair.objects.on_version(version).count() == 2
        assert Affair.objects.on_version(affair_list).count() == 3

    def test_only_affairs_on_the_list_are_removed(self, world, departments, affair_list):
        other = Affair.objects.create(district=world.node("甲市二区"), number=1, title="x", role="host", legal_basis="x",
                                      department=departments["甲市一区民政局"],
                                      added_in=ListVersion.objects.create(district=world.node("甲市二区"), number=1,
                                                                          effective_on=datetime.date(2026, 1, 1), reason="initial"))
        before = written()
        with pytest.raises(ValidationFailed):
            services.list_review(actor=ACTOR, district=world.node("甲市一区"), remove=[other])
        assert written() == before

    def test_the_district_is_reminded_once_when_a_year_has_passed(self, world, departments, affair_list):
        from accounts.models import User
        from notifications.models import Notification

        supervisor = User.objects.get(username="supervisor_a")
        now = datetime.datetime(2026, 12, 30, 9, tzinfo=datetime.UTC)
        assert services.review_reminders_send(now) == ""
        later = datetime.datetime(2027, 1, 2, 9, tzinfo=datetime.UTC)
        assert services.review_reminders_send(later) == "1 reminded"
        assert services.review_reminders_send(later) == ""
        assert Notification.objects.filter(user=supervisor).count() == 1

    def test_a_review_resets_the_reminder(self, world, departments, affair_list):
        services.list_review(actor=ACTOR, district=world.node("甲市一区"), remove=[], reviewed_on=datetime.date(2026, 12, 20))
        assert services.review_reminders_send(datetime.datetime(2027, 1, 2, 9, tzinfo=datetime.UTC)) == ""
