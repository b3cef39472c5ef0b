"""Chinese text matching on real phrases residents and operators write."""

from ..textmatch import Corpus, similarity, tokens


def test_chinese_is_cut_into_character_bigrams_and_latin_into_words():
    found = tokens("老年助餐 AED急救")
    assert found["助餐"] == 1 and found["老年"] == 1 and found["aed"] == 1 and found["急救"] == 1


def test_full_width_and_half_width_forms_are_the_same():
    assert tokens("ＡＥＤ培训") == tokens("AED培训")


def test_a_need_finds_the_service_that_meets_it_among_real_offers():
    offers = ["长者食堂助餐服务（每餐12元）", "少儿书画培训班", "家电维修上门服务", "家庭医生签约与慢病随访", "课后托管与作业辅导",
              "老年人智能手机使用课堂"]
    corpus = Corpus(offers)
    best = lambda text: offers[corpus.ranked(text)[0][0]]  # noqa: E731
    assert best("家门口的老年助餐点") == "长者食堂助餐服务（每餐12元）"
    assert best("孩子放学后没人照看，需要课后托管") == "课后托管与作业辅导"
    assert best("教老人用智能手机挂号") == "老年人智能手机使用课堂"
    assert best("空调坏了需要维修") == "家电维修上门服务"
    assert best("高血压慢病管理") == "家庭医生签约与慢病随访"


def test_similar_phrasings_score_higher_than_unrelated_ones():
    assert similarity("儿童书画班", "少儿书画培训") > similarity("儿童书画班", "老年助浴服务")
    assert similarity("楼道杂物堆放", "清理楼道杂物") > 0.3
    assert similarity("噪声扰民", "健身器材损坏") == 0
