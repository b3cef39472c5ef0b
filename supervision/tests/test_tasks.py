"""Drafting a notice and scoring a yearly assessment in the background: bad input refused before
anything is queued, the row queued at once with its inputs, the page showing its progress, the
task worker filling it in with its progress up to 100, and a failure leaving the row failed with
its reason and nothing half-written."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEvent
from core.errors import Conflict
from core.measures import Month
from registry import services as registry_services
from supervision import services
from supervision.models import Assessment, AssessmentScore, JobStage, JobStatus, Notice, NoticeEntry

NOVEMBER = Month(date(2026, 11, 1))
SHANGHAI = ZoneInfo("Asia/Shanghai")
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
HTMX = {"HTTP_HX_REQUEST": "true"}


def run_worker():
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


@pytest.fixture
def taken(world):
    registry_services.site_create(actor="test", division=world.node("甲市一区一街一社"), name="一社党群服务中心",
                                  kind="party_mass_centre", floor_area=Decimal(1600), ground_floor_area=Decimal(1600),
                                  property_class="state_admin", property_source="street_owned")
    for month in (date(2026, 10, 1), date(2026, 11, 1)):
        services.snapshot_take(city=world.node("甲市"), month=Month(month), now=datetime(2026, 11, 20, tzinfo=SHANGHAI))
    return world


def _queue_notice(world) -> Notice:
    return services.notice_draft(actor=world.users["supervisor"], issuer=world.node("甲市一区"), month=NOVEMBER)


def _queue_assessment(world) -> Assessment:
    return services.assessment_start(actor=world.users["supervisor"], issuer=world.node("甲市一区"), year=2026,
                                     today=date(2026, 12, 2))


def _watching(model, pk: int, seen: list):
    """A progress callback that records each stage and percent with what the row holds at that moment."""
    def report(stage, percent):
        row = model.objects.get(pk=pk)
        seen.append((stage, percent, row.job_status, row.progress))
    return report


# The task worker closes its database connection after each task; only a test whose data is
# committed (transaction=True) survives that on PostgreSQL.
@pytest.mark.django_db(transaction=True)
class TestThroughTheWorker:
    def test_a_draft_whose_worker_died_is_drafted_by_the_next_and_a_scoring_lost_three_times_fails(
            self, taken, django_capture_on_commit_callbacks):
        from core.tasks import LOST_ATTEMPTS, lost_tasks_recover

        with django_capture_on_commit_callbacks(execute=True):
            notice, assessment = _queue_notice(taken), _queue_assessment(taken)
        for row, model, task, attempts in ((notice, Notice, "notice_draft_task", 1),
                                           (assessment, Assessment, "assessment_score_task", LOST_ATTEMPTS)):
            result = next(r for r in DBTaskResult.objects.filter(task_path=f"supervision.tasks.{task}")
                          if r.args_kwargs["args"][:1] == [row.pk])
            result.worker_ids = [f"machine-a:1:{n}" for n in range(attempts - 1)]
            result.claim("machine-a:9:9")  # the worker that died with it in hand
            model.objects.filter(pk=row.pk).update(job_status=JobStatus.RUNNING, stage=JobStage.FIGURES, progress=12)
        assert lost_tasks_recover(lambda worker_id: worker_id == "machine-a:9:9") == {"requeued": 1, "failed": 1}
        assert Notice.objects.get(pk=notice.pk).job_status == JobStatus.QUEUED
        lost = Assessment.objects.get(pk=assessment.pk)
        assert lost.job_status == JobStatus.FAILED and "3" in lost.error
        run_worker()
        drafted = Notice.objects.get(pk=notice.pk)
        assert (drafted.job_status, drafted.progress) == (JobStatus.DONE, 100) and drafted.entries.exists()

    def test_a_notice_is_queued_shown_in_progress_then_drafted_by_the_worker(self, client, taken):
        client.force_login(taken.users["supervisor"])
        response = client.post("/supervision/notices/draft/", {"month": "2026-11", "unit_level": "street"})
        assert response.status_code == 302
        notice = Notice.objects.get()
        assert notice.job_status == JobStatus.QUEUED and not notice.entries.exists()
        assert DBTaskResult.objects.count() == 1
        page = client.get(response["Location"], **ZH).content.decode()
        assert 'role="progressbar"' in page and 'hx-trigger="every 1s"' in page and "排队中" in page
        polled = client.get(response["Location"], **ZH, **HTMX).content.decode()
        assert polled.startswith('<div id="job-status"') and "<html" not in polled and "0%" in polled
        run_worker()
        notice.refresh_from_db()
        assert (notice.job_status, notice.progress, notice.error) == (JobStatus.DONE, 100, "")
        assert notice.entries.values("division").distinct().count() == 2 and "甲市一区二街" in notice.body and notice.finished_at
        polled = client.get(response["Location"], **ZH, **HTMX).content.decode()
        assert "data-reload" in polled and "hx-trigger" not in polled  # the page reloads itself once done (core/linli.js)
        page = client.get(response["Location"], **ZH).content.decode()
        assert "甲市一区二街" in page and 'id="notice-title"' in page and "job-status" not in page
        assert AuditEvent.objects.filter(action="supervision.notice.requested", actor=taken.users["supervisor"]).exists()
        assert AuditEvent.objects.filter(action="supervision.notice.drafted", target_id=str(notice.pk)).exists()

    def test_an_assessment_is_queued_shown_in_progress_then_scored_by_the_worker(self, client, taken):
        client.force_login(taken.users["supervisor"])
        response = client.post("/supervision/assessments/", {"year": "2026", "unit_level": "street"})
        assert response.status_code == 302
        assessment = Assessment.objects.get()
        assert (assessment.job_status, assessment.year, assessment.unit_level) == (JobStatus.QUEUED, 2026, "street")
        assert not assessment.scores.exists()
        page = client.get(response["Location"], **ZH).content.decode()
        assert 'role="progressbar"' in page and 'hx-trigger="every 1s"' in page and 'value="sign"' not in page
        listed = client.get("/supervision/assessments/", **ZH).content.decode()
        assert "排队中 0%" in listed
        run_worker()
        assessment.refresh_from_db()
        assert (assessment.job_status, assessment.progress) == (JobStatus.DONE, 100)
        assert assessment.scores.values("division").distinct().count() == 2
        page = client.get(response["Location"], **ZH).content.decode()
        assert "甲市一区二街" in page and 'value="sign"' in page and "job-status" not in page

    def test_each_progress_is_committed_when_written_so_a_page_sees_it(self, taken):
        notice = _queue_notice(taken)
        outside = []
        services.notice_draft_run(notice_id=notice.pk, progress=lambda stage, percent: outside.append(
            connection.get_autocommit() and not connection.in_atomic_block))
        assert outside and all(outside)  # no transaction around the task: each update of the row committed at once

    def test_scoring_again_goes_through_the_worker_and_replaces_the_scores(self, client, taken):
        assessment = _queue_assessment(taken)
        run_worker()
        first = set(AssessmentScore.objects.filter(assessment=assessment).values_list("pk", flat=True))
        client.force_login(taken.users["supervisor"])
        response = client.post(f"/supervision/assessments/{assessment.pk}/", {"action": "recompute"})
        assert response.status_code == 302
        assessment.refresh_from_db()
        assert assessment.job_status == JobStatus.QUEUED
        run_worker()
        assessment.refresh_from_db()
        again = set(AssessmentScore.objects.filter(assessment=assessment).values_list("pk", flat=True))
        assert assessment.job_status == JobStatus.DONE and len(again) == len(first) and not first & again


@pytest.mark.django_db
class TestProgress:
    def test_the_draft_writes_its_progress_on_the_row_as_it_goes_up_to_100(self, taken):
        notice = _queue_notice(taken)
        seen = []
        done = services.notice_draft_run(notice_id=notice.pk, progress=_watching(Notice, notice.pk, seen))
        assert [stage for stage, *_rest in seen][0] == JobStage.FIGURES and seen[-1][0] == JobStage.SAVING
        assert all(status == JobStatus.RUNNING and row == percent for _s, percent, status, row in seen)  # the page sees each one
        percents = [percent for _s, percent, *_rest in seen]
        assert percents == sorted(percents) and percents[-1] < 100
        assert (done.job_status, done.progress, done.stage) == (JobStatus.DONE, 100, "")

    def test_the_scoring_writes_its_progress_on_the_row_as_it_goes_up_to_100(self, taken):
        assessment = _queue_assessment(taken)
        seen = []
        done = services.assessment_score_run(assessment_id=assessment.pk, progress=_watching(Assessment, assessment.pk, seen))
        assert JobStage.SCORING in {stage for stage, *_rest in seen}
        assert all(status == JobStatus.RUNNING and row == percent for _s, percent, status, row in seen)
        assert (done.job_status, done.progress) == (JobStatus.DONE, 100) and done.scores.count() > 0

    def test_the_polled_page_shows_the_stage_and_percent_of_a_running_draft(self, client, taken):
        notice = _queue_notice(taken)
        Notice.objects.filter(pk=notice.pk).update(job_status=JobStatus.RUNNING, stage=JobStage.COMPARING, progress=37)
        client.force_login(taken.users["supervisor"])
        polled = client.get(f"/supervision/notices/{notice.pk}/", HTTP_ACCEPT_LANGUAGE="en", **HTMX).content.decode()
        assert 'aria-valuenow="37"' in polled and "37%" in polled and "comparing the units with the targets" in polled
        assert 'hx-trigger="every 1s"' in polled and "reload" not in polled

    def test_a_row_not_queued_is_left_alone(self, taken):
        notice = services.notice_draft_run(notice_id=_queue_notice(taken).pk)
        entries = notice.entries.count()
        assert services.notice_draft_run(notice_id=notice.pk).entries.count() == entries  # run twice: drafted once


@pytest.mark.django_db
class TestFailure:
    @pytest.fixture
    def broken_write(self, monkeypatch):
        """Writing the entries fails after they were written (the disk filled up): the transaction must take them back."""
        def install(model):
            manager = model.objects
            write = manager.bulk_create

            def half(objs, **kwargs):
                write(list(objs)[:1], **kwargs)
                raise OSError("No space left on device")
            monkeypatch.setattr(manager, "bulk_create", half)
        return install

    def test_a_failing_draft_leaves_the_notice_failed_with_no_entry(self, client, taken, broken_write):
        notice = _queue_notice(taken)
        broken_write(NoticeEntry)
        notice = services.notice_draft_run(notice_id=notice.pk)
        assert notice.job_status == JobStatus.FAILED and "No space left on device" in notice.error
        assert not NoticeEntry.objects.exists() and notice.body == ""
        client.force_login(taken.users["supervisor"])
        page = client.get(f"/supervision/notices/{notice.pk}/", **ZH).content.decode()
        assert "alert-danger" in page and "No space left on device" in page and "hx-trigger" not in page
        assert f'action="/supervision/notices/{notice.pk}/draft-again/"' in page
        assert client.post(f"/supervision/notices/{notice.pk}/publish/").status_code == 409

    def test_a_failed_draft_is_drafted_again(self, client, taken, monkeypatch):
        notice = _queue_notice(taken)
        with monkeypatch.context() as patched:
            patched.setattr(NoticeEntry.objects, "bulk_create", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
            services.notice_draft_run(notice_id=notice.pk)
        client.force_login(taken.users["supervisor"])
        assert client.post(f"/supervision/notices/{notice.pk}/draft-again/").status_code == 302
        notice.refresh_from_db()
        assert (notice.job_status, notice.error) == (JobStatus.QUEUED, "")
        assert services.notice_draft_run(notice_id=notice.pk).entries.values("division").distinct().count() == 2
        with pytest.raises(Conflict):
            services.notice_draft_again(actor=taken.users["supervisor"], notice=notice)  # only a failed draft

    def test_a_failing_scoring_leaves_the_assessment_failed_and_its_scores_as_they_were(self, client, taken, broken_write):
        assessment = services.assessment_score_run(assessment_id=_queue_assessment(taken).pk)
        before = list(AssessmentScore.objects.filter(assessment=assessment).values_list("pk", "points"))
        services.assessment_recompute(actor=taken.users["supervisor"], assessment=assessment)
        broken_write(AssessmentScore)
        assessment = services.assessment_score_run(assessment_id=assessment.pk)
        assert assessment.job_status == JobStatus.FAILED and "No space left on device" in assessment.error
        assert list(AssessmentScore.objects.filter(assessment=assessment).values_list("pk", "points")) == before
        client.force_login(taken.users["supervisor"])
        page = client.get(f"/supervision/assessments/{assessment.pk}/", **ZH).content.decode()
        assert "alert-danger" in page and 'value="recompute"' in page and "hx-trigger" not in page
        assert client.post(f"/supervision/assessments/{assessment.pk}/", {"action": "sign"}).status_code == 409

    def test_a_failing_first_scoring_writes_no_score(self, taken, broken_write):
        assessment = _queue_assessment(taken)
        broken_write(AssessmentScore)
        assessment = services.assessment_score_run(assessment_id=assessment.pk)
        assert assessment.job_status == JobStatus.FAILED and not AssessmentScore.objects.exists()


@pytest.mark.django_db
class TestRefusedBeforeQueueing:
    @pytest.mark.parametrize("data, message", [
        ({"month": "", "unit_level": "street"}, "请选择月份。"),
        ({"month": "2026-09", "unit_level": "street"}, "还没有月度数据，无法起草通报"),
        ({"month": "2026-11", "unit_level": "district"}, "请选择发文单位下级的层级。"),
    ])
    def test_a_bad_draft_is_refused_with_its_reason_and_nothing_is_queued(self, client, taken, data, message,
                                                                         django_capture_on_commit_callbacks):
        client.force_login(taken.users["supervisor"])
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post("/supervision/notices/draft/", data, **ZH)
        assert response.status_code == 422 and message in response.content.decode()
        assert not Notice.objects.exists() and not callbacks and not DBTaskResult.objects.exists()

    def test_a_second_draft_of_the_same_month_while_one_computes_is_refused(self, client, taken):
        _queue_notice(taken)
        client.force_login(taken.users["supervisor"])
        response = client.post("/supervision/notices/draft/", {"month": "2026-11", "unit_level": "street"}, **ZH)
        assert response.status_code == 409
        assert Notice.objects.count() == 1

    @pytest.mark.parametrize("data, status, message", [
        ({"year": "2025", "unit_level": "street"}, 422, "2025年还没有月度数据，无法考核。"),
        ({"year": "2027", "unit_level": "street"}, 422, "尚未开始的年度不能考核。"),
        ({"year": "2026", "unit_level": "community"}, 422, "请选择考核单位下级的层级。"),
        ({"year": "x"}, 422, "请选择年度。"),
    ])
    def test_a_bad_assessment_is_refused_with_its_reason_and_nothing_is_queued(self, client, taken, data, status, message,
                                                                              django_capture_on_commit_callbacks):
        client.force_login(taken.users["supervisor"])
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post("/supervision/assessments/", data, **ZH)
        assert response.status_code == status and message in response.content.decode()
        assert not Assessment.objects.exists() and not callbacks

    def test_a_second_assessment_of_the_year_is_refused_even_while_the_first_is_queued(self, client, taken,
                                                                                      django_capture_on_commit_callbacks):
        _queue_assessment(taken)
        client.force_login(taken.users["supervisor"])
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post("/supervision/assessments/", {"year": "2026", "unit_level": "street"}, **ZH)
        assert response.status_code == 409 and "2026年度考核已在进行中。" in response.content.decode()
        assert Assessment.objects.count() == 1 and not callbacks

    def test_a_queued_notice_or_assessment_cannot_be_edited_published_or_signed(self, taken):
        notice, assessment = _queue_notice(taken), _queue_assessment(taken)
        supervisor = taken.users["supervisor"]
        with pytest.raises(Conflict):
            services.notice_update(actor=supervisor, notice=notice, title="通报", body="经查……")
        with pytest.raises(Conflict):
            services.notice_publish(actor=supervisor, notice=notice)
        with pytest.raises(Conflict):
            services.assessment_sign(actor=supervisor, assessment=assessment)
        with pytest.raises(Conflict):
            services.assessment_recompute(actor=supervisor, assessment=assessment)  # it is being scored already
