"""The catalogue of kinds of need (需求清单): Zibo's "nearly 300 kinds of need in five categories"
(养老托幼、人居环境、餐饮娱乐、医疗康养、就业创业), as residents and grid workers name them.

``need_kinds_sync()`` writes the catalogue into ``NeedKind`` (new kinds added, names kept up to
date, kinds dropped from the list marked inactive, never deleted: needs refer to them). It runs
from a data migration and can be run again after this list changes; ``need_kinds_ensure()``
writes it when the table is empty (a database flushed by tests, say), like the rule pack.
"""

# category: [(code, name, keywords), ...]
NEED_KINDS = {
    "elderly_child": [
        ("elderly_meals", "老年助餐", "长者食堂 老年食堂 助餐 送餐 吃饭"),
        ("meal_delivery", "送餐上门", "送餐 上门 独居 失能"),
        ("day_care", "日间照料", "日间照料 托老 白天照看 老人"),
        ("home_care", "居家上门照护", "上门 护理 照护 失能 卧床"),
        ("respite_care", "喘息服务", "喘息 短期托养 照护者 家属"),
        ("elderly_visits", "独居老人探访", "探访 独居 关爱 走访 空巢"),
        ("emergency_call", "紧急呼叫设备", "一键呼叫 紧急 跌倒 报警 智能手环"),
        ("ageing_adaptation", "适老化改造", "适老化 扶手 防滑 无障碍 卫生间改造"),
        ("elderly_university", "老年大学课程", "老年大学 银发学堂 课程 学习"),
        ("smartphone_help", "智能手机教学", "智能手机 微信 健康码 网购 教学 老人"),
        ("elderly_haircut", "老人理发", "理发 剪发 上门理发"),
        ("elderly_bathing", "助浴服务", "助浴 洗澡 上门"),
        ("elderly_companion", "陪诊陪护", "陪诊 陪同就医 陪护 挂号"),
        ("dementia_care", "认知症照护", "认知症 老年痴呆 失智 照护"),
        ("elderly_legal", "老年人法律咨询", "遗嘱 赡养 法律 咨询 防诈骗"),
        ("anti_fraud", "防诈骗宣传", "防诈骗 保健品 骗局 宣传"),
        ("infant_care", "婴幼儿托育", "托育 托班 婴幼儿 0-3岁 托儿所"),
        ("after_school", "课后托管", "课后 托管 四点半 放学 作业辅导"),
        ("holiday_care", "寒暑假托管", "暑假 寒假 托管 假期 夏令营"),
        ("homework_help", "作业辅导", "作业 辅导 功课 学习"),
        ("parenting_class", "育儿指导", "育儿 家庭教育 家长课堂 亲子"),
        ("parent_child", "亲子活动", "亲子 绘本 游戏 周末 家庭"),
        ("children_arts", "少儿艺术培训", "书画 美术 舞蹈 音乐 少儿 兴趣班"),
        ("children_reading", "儿童阅读", "绘本 阅读 图书 故事会 儿童"),
        ("children_safety", "儿童安全教育", "防溺水 安全 交通 防拐 儿童"),
        ("mother_baby_room", "母婴室", "母婴室 哺乳 母婴"),
        ("left_behind_children", "困境儿童关爱", "留守 困境儿童 关爱 帮扶"),
        ("children_play", "儿童游乐场地", "游乐 滑梯 儿童 场地 玩耍"),
        ("disability_support", "残疾人康复与照料", "残疾 康复 照料 辅具"),
        ("caregiver_training", "照护技能培训", "照护 培训 家属 护理技能"),
    ],
    "living_environment": [
        ("garbage_sorting", "垃圾分类指导", "垃圾分类 厨余 督导 回收"),
        ("bulky_waste", "大件垃圾清运", "大件垃圾 旧家具 清运 装修垃圾"),
        ("corridor_clearing", "楼道杂物清理", "楼道 杂物 堆放 清理"),
        ("greening", "小区绿化提升", "绿化 树木 草坪 花坛 修剪"),
        ("road_repair", "路面修缮", "路面 坑洼 破损 修路 微改造"),
        ("street_lights", "路灯照明", "路灯 照明 黑 灯坏"),
        ("bike_shed", "电动车棚与充电", "车棚 电动车 充电桩 飞线充电"),
        ("parking_spaces", "停车位紧张", "停车 车位 乱停"),
        ("drainage", "排水防涝", "积水 排水 下水道 堵塞 防涝"),
        ("elevator_installation", "老旧小区加装电梯", "加装电梯 电梯 老旧小区 爬楼"),
        ("pipe_repair", "水电管网维修", "水管 漏水 电路 老化 维修"),
        ("home_repair", "家电家居维修", "家电 维修 修理 水电 便民维修"),
        ("locksmith", "开锁换锁", "开锁 换锁 门锁"),
        ("property_service", "物业服务改善", "物业 保洁 保安 管理"),
        ("fitness_facilities", "健身器材更新", "健身器材 损坏 更新 运动"),
        ("seating_pavilion", "休憩座椅与凉亭", "座椅 凉亭 休息 长椅"),
        ("public_toilet", "公共厕所", "厕所 公厕 卫生间"),
        ("noise_control", "噪声治理", "噪声 扰民 装修 广场舞"),
        ("pest_control", "消杀除四害", "蚊虫 老鼠 蟑螂 消杀"),
        ("fire_safety", "消防安全", "消防 通道 灭火器 隐患"),
        ("security_cameras", "安防监控", "监控 摄像头 门禁 安全"),
        ("accessibility", "无障碍设施", "无障碍 坡道 轮椅 盲道"),
        ("pet_management", "文明养犬", "养犬 宠物 狗 粪便"),
        ("laundry_drying", "晾晒场地", "晾晒 晒被子 晾衣"),
        ("mailbox_delivery", "快递收发", "快递 驿站 快递柜 收件"),
        ("water_quality", "二次供水水质", "水质 二次供水 水箱 自来水"),
        ("neighbourhood_rules", "居民公约与议事", "议事 公约 协商 居民会"),
        ("public_space_reuse", "闲置空间改造", "闲置 架空层 空间 改造 利用"),
        ("illegal_structures", "违章搭建整治", "违建 私搭乱建 占用"),
        ("shared_tools", "共享工具箱", "工具 共享 借用 工具箱"),
    ],
    "food_recreation": [
        ("community_canteen", "社区食堂", "食堂 社区食堂 吃饭 餐厅"),
        ("breakfast_stall", "早餐点", "早餐 早点 包子 豆浆"),
        ("fresh_market", "生鲜便利店", "生鲜 买菜 便利店 菜市场"),
        ("group_buying", "社区团购", "团购 拼单 采购"),
        ("square_dance", "广场舞场地", "广场舞 跳舞 场地"),
        ("choir", "合唱团", "合唱 唱歌 歌咏"),
        ("opera", "戏曲演出", "戏曲 南音 高甲戏 梨园戏 曲艺"),
        ("calligraphy_painting", "书法绘画", "书法 国画 绘画 书画"),
        ("chess_cards", "棋牌活动", "象棋 围棋 棋牌 麻将"),
        ("reading_room", "图书阅览", "图书 阅览 看书 读书会"),
        ("movies", "社区电影", "电影 放映 露天电影"),
        ("handicraft", "手工制作", "手工 编织 剪纸 插花"),
        ("tai_chi", "太极拳与健身操", "太极 健身操 八段锦 晨练"),
        ("ball_games", "球类运动场地", "篮球 乒乓球 羽毛球 球场"),
        ("swimming_fitness", "健身房", "健身房 跑步机 健身"),
        ("festival_events", "节庆活动", "中秋 春节 元宵 端午 节日 联欢"),
        ("neighbourhood_market", "睦邻集市", "集市 跳蚤市场 二手 睦邻"),
        ("tea_house", "茶室与会客厅", "茶室 喝茶 会客 聊天"),
        ("music_instruments", "乐器培训", "乐器 古筝 二胡 吉他 钢琴"),
        ("photography", "摄影兴趣", "摄影 拍照 相机"),
        ("cooking_class", "烹饪课堂", "烹饪 做菜 烘焙"),
        ("heritage_crafts", "非遗体验", "非遗 传统手艺 民俗"),
        ("youth_activities", "青年交友活动", "青年 交友 联谊"),
        ("volunteer_activities", "志愿服务活动", "志愿者 志愿服务 公益"),
        ("study_room", "自习室", "自习 学习 安静 考试"),
        ("outdoor_trips", "户外徒步", "徒步 郊游 户外 登山"),
        ("gardening", "社区花园", "花园 种菜 园艺 一米菜园"),
        ("birthday_party", "集体生日会", "生日 庆生 老人生日"),
        ("dance_class", "舞蹈培训", "舞蹈 民族舞 拉丁"),
        ("dining_hall_party", "邻里百家宴", "百家宴 聚餐 邻里宴"),
    ],
    "medical_wellness": [
        ("family_doctor", "家庭医生签约", "家庭医生 签约 全科 医生"),
        ("health_checkup", "老年人健康体检", "体检 健康检查 老年人"),
        ("blood_pressure", "血压血糖测量", "血压 血糖 测量 慢病"),
        ("chronic_disease", "慢性病管理", "慢病 高血压 糖尿病 管理 随访"),
        ("clinic_visits", "专家坐诊巡诊", "专家 坐诊 巡诊 义诊"),
        ("medicine_purchase", "自助买药", "买药 药房 配药 自助"),
        ("rehabilitation", "康复理疗", "康复 理疗 推拿 针灸"),
        ("tcm_wellness", "中医养生", "中医 养生 艾灸 拔罐"),
        ("mental_health", "心理咨询", "心理 咨询 疏导 抑郁 情绪"),
        ("first_aid", "急救知识培训", "急救 心肺复苏 AED 培训"),
        ("health_lectures", "健康讲座", "健康 讲座 知识 科普"),
        ("health_records", "健康档案", "健康档案 查询 记录"),
        ("home_nursing", "上门护理", "上门 护理 换药 打针"),
        ("vaccination", "疫苗接种提醒", "疫苗 接种 预防针"),
        ("dental_care", "口腔保健", "牙齿 口腔 牙科"),
        ("vision_care", "视力保健", "视力 近视 眼科 老花"),
        ("women_health", "妇女健康", "两癌筛查 妇科 孕检"),
        ("child_health", "儿童保健", "儿童 保健 体检 生长发育"),
        ("nutrition_advice", "营养膳食指导", "营养 膳食 饮食 减盐"),
        ("fitness_guidance", "科学健身指导", "健身指导 运动处方 锻炼"),
        ("elder_health_station", "智慧健康小屋", "健康小屋 自测 智慧健康站"),
        ("hospice_care", "安宁疗护", "安宁疗护 临终 关怀"),
        ("medical_escort", "就医陪同", "陪诊 就医 陪同 转诊"),
        ("assistive_devices", "辅具租赁", "轮椅 助行器 辅具 租赁"),
        ("sleep_health", "睡眠健康", "失眠 睡眠"),
        ("smoking_cessation", "戒烟指导", "戒烟 控烟"),
        ("weight_management", "体重管理", "减肥 体重 肥胖"),
        ("pharmacist_consult", "用药咨询", "用药 药师 药物 咨询"),
        ("massage", "按摩保健", "按摩 足疗 保健"),
        ("disease_screening", "疾病筛查", "筛查 早筛 癌症 骨密度"),
    ],
    "employment_business": [
        ("job_matching", "就业岗位推荐", "招聘 岗位 找工作 就业"),
        ("skills_training", "职业技能培训", "技能 培训 证书 职业"),
        ("flexible_jobs", "灵活就业", "灵活就业 兼职 零工 时间灵活"),
        ("home_service_training", "家政培训", "家政 月嫂 育婴师 保洁 培训"),
        ("elder_care_training", "养老护理员培训", "养老护理员 护工 培训"),
        ("ecommerce_training", "电商直播培训", "电商 直播 带货 网店"),
        ("startup_advice", "创业指导", "创业 开店 指导 咨询"),
        ("microbusiness", "社区微业", "微业 小生意 手工 摆摊"),
        ("startup_loans", "创业担保贷款", "创业贷款 贴息 担保 资金"),
        ("business_registration", "个体户办照", "营业执照 个体户 注册 办照"),
        ("job_fair", "招聘会", "招聘会 双选会 现场招聘"),
        ("resume_help", "简历与面试辅导", "简历 面试 求职 辅导"),
        ("graduate_employment", "高校毕业生就业", "毕业生 大学生 应届 就业"),
        ("disabled_employment", "残疾人就业", "残疾人 就业 辅助性就业"),
        ("reemployment", "失业再就业", "失业 再就业 下岗 登记"),
        ("migrant_workers", "外来务工人员服务", "外来务工 农民工 新市民"),
        ("women_employment", "妇女居家就业", "妇女 宝妈 居家 就业 手工"),
        ("retiree_reemployment", "低龄老人再就业", "退休 返聘 低龄老人 再就业"),
        ("labour_rights", "劳动维权咨询", "工资 拖欠 劳动合同 维权"),
        ("social_insurance", "社保医保办理", "社保 医保 参保 缴费"),
        ("computer_skills", "电脑技能培训", "电脑 办公软件 打字"),
        ("language_training", "普通话与外语培训", "普通话 英语 外语"),
        ("driving_delivery", "配送骑手岗位", "外卖 骑手 配送 快递员"),
        ("shared_office", "共享办公空间", "共享办公 工位 创客空间"),
        ("volunteer_hours", "志愿服务积分", "志愿 积分 时间银行"),
        ("financial_literacy", "理财与防金融诈骗", "理财 金融 诈骗 投资"),
        ("youth_internship", "青年见习岗位", "见习 实习 青年"),
        ("cooperative", "社区合作社", "合作社 集体经济"),
        ("vendor_spaces", "便民摊位", "摊位 便民点 夜市"),
        ("career_planning", "职业规划", "职业规划 转行 方向"),
    ],
}


def need_kinds_sync(NeedKind=None) -> int:  # noqa: N803  (the model may come from a migration's app registry)
    """Bring the ``NeedKind`` table in line with ``NEED_KINDS``; returns how many kinds there are."""
    if NeedKind is None:
        from .models import NeedKind
    listed = set()
    for category, kinds in NEED_KINDS.items():
        for order, (code, name, keywords) in enumerate(kinds):
            listed.add(code)
            NeedKind.objects.update_or_create(code=code, defaults={
                "category": category, "name": name, "keywords": keywords, "order": order, "is_active": True})
    NeedKind.objects.exclude(code__in=listed).update(is_active=False)
    return len(listed)


def need_kinds_ensure() -> None:
    from .models import NeedKind

    if not NeedKind.objects.exists():
        need_kinds_sync()
