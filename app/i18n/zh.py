"""The interface's strings in Simplified Chinese. Same keys and {placeholders} as app/i18n/en.py.

Terms used throughout: 注意力 (attention), 注意力头/头 (head), 层 (layer), 词元 (token), 查询/键/值 (Q/K/V),
掩码 (mask), 缩放点积 (scaled dot product), 上下文向量 (context vector), 词义 (sense). Symbols (q·k/√d_k, W_Q,
d_head, softmax) and file names stay as they are.
"""

from __future__ import annotations

STRINGS: dict[str, str] = {
    # -- The app and its navigation (streamlit_app.py) ----------------------------------------------------------
    "app.page_title": "多头子空间探索器",
    "nav.attention": "注意力图",
    "nav.compare": "注意力头对比",
    "nav.qkv": "Q/K/V 向量",
    "nav.walkthrough": "注意力是怎样算出来的",
    "nav.subspaces": "表示子空间",
    "nav.export": "导出",
    # -- The sidebar (app/sidebar.py) ---------------------------------------------------------------------------
    "sidebar.language": "Language · 语言",
    "sidebar.title": "多头子空间探索器",
    "sidebar.model": "模型",
    "sidebar.source.bundled": "内置：{model}",
    "sidebar.source.folder": "本地文件夹",
    "sidebar.source.hub": "Hugging Face Hub 模型 ID（首次需要联网）",
    "sidebar.folder": "文件夹",
    "sidebar.hub_id": "Hub 模型 ID",
    "sidebar.folder_placeholder": "/路径/用 save_pretrained() 保存的文件夹",
    "sidebar.hub_placeholder": "例如 gpt2",
    "sidebar.loading": "正在加载 {model} …",
    "sidebar.model_caption": "**{name}**（{family}）：{layers} 层 × {heads} 个头 × d_head {d_head}",
    "sidebar.kv_heads": "，{n} 个 KV 头",
    "sidebar.shape.encoder": "，双向",
    "sidebar.shape.decoder": "，因果（只看前文）",
    "sidebar.shape.encoder-decoder": "，编码器–解码器",
    "sidebar.example": "示例",
    "sidebar.example_help": "从一个示例文本开始，可以在下方随意修改。标有（中文）的示例需要能读中文的模型。",
    "sidebar.chinese_note": "这是一个中文示例，需要能读中文的模型：请在“模型 → 本地文件夹”中加载一个中文或多语言模型的"
    "文件夹"
    "（例如用 save_pretrained() 保存的 bert-base-chinese）。",
    "sidebar.chinese_bundled": "内置的 {model} 只读英文：大多数汉字它都不认识，全都变成同一个 [UNK] 词元"
    "（他、苹、果都在其中），所以它的注意力头分不清这些字。",
    "sidebar.text": "文本",
    "sidebar.target": "目标文本（解码器的输入）",
    "sidebar.target_help": "编码器读取上面的文本；解码器读入这段文本，和训练时一样采用教师强制（先是起始词元，再是右移"
    "一位的这些词元）。"
    "如果是翻译模型，请输入译文。",
    "sidebar.generate": "用模型写出目标文本",
    "sidebar.generate_help": "由模型自己的语言模型头在解码器一侧续写（贪心解码，最多 {n} 个词元）；结果填入上面的目标"
    "文本框，可以再修改。",
    "sidebar.generating": "正在用模型的语言模型头写出目标文本 …",
    "sidebar.token_limit": "词元上限",
    "sidebar.token_limit_help": "更长的文本会被截到这么多个词元。这个模型训练时的文本最长 {trained} 个词元（位置上限："
    "{limit}）。",
    "sidebar.need_target": "{model} 是编码器–解码器模型：请输入解码器的文本作为目标文本。",
    "sidebar.running": "正在运行模型并记录每一个注意力头 …",
    "sidebar.attention": "注意力类型",
    "sidebar.attention_help": "编码器自注意力：文本的词元之间。解码器自注意力：目标文本的词元之间，每个词元只能看到它"
    "前面的词元。"
    "交叉注意力：Q 来自解码器，K = V 来自编码器。",
    "sidebar.run_tokens": "本次运行共 {n} 个词元。",
    "sidebar.run_tokens_pair": "编码器 {encoder} 个词元，解码器 {decoder} 个词元。",
    "sidebar.trained_length": "{n} 个词元多于 {model} 训练时的 {trained} 个。注意力图仍然是模型实际算出的结果，但超过"
    "训练长度后，"
    "注意力头的行为可能不同（关注前一个词元的头可能会跳到几百个位置之外），所以这里的头角色和模式未必是它在学习过的文"
    "本上表现出来的那样。",
    "sidebar.truncated": "这段文本有 {total} 个词元，只显示前 {n} 个。在侧边栏调高词元上限即可看到更多。",
    "example.apple": "apple：水果还是品牌？",
    "example.it": "it：指动物还是街道？",
    "example.he": "he：指打野还是上单？",
    "example.thinking": "Thinking Machines（X1、X2）",
    "example.ta": "他：指打野还是上单？（中文）",
    "example.pingguo": "苹果：水果还是品牌？（中文）",
    # -- Sentences every page shares (app/i18n/phrases.py) -------------------------------------------------------
    "need.run": "请在侧边栏选择模型并输入文本，以便{purpose}。",
    "need.bundle": "请在侧边栏选择模型，以便{purpose}。",
    "summary.line": "{name} · {tokens} · {layers} 层 × {heads} 个头",
    "summary.tokens": "{n} 个词元",
    "summary.cross_tokens": "{queries} 个查询 × {keys} 个键",
    "summary.kind": " · {kind}：{meaning}",
    "kind.encoder": "编码器自注意力",
    "kind.decoder": "解码器自注意力（带掩码）",
    "kind.cross": "交叉注意力（解码器 → 编码器）",
    "kind_meaning.encoder": "文本的词元双向地互相关注",
    "kind_meaning.decoder": "每个目标词元只关注它自己和它前面的目标词元",
    "kind_meaning.cross": "查询来自解码器的目标词元，键和值来自编码器读取的文本",
    "weights.note": "{model}（{family}）在每个页面上都有精确的注意力图，但没有权重视图：{reason}。"
    "{what}需要能读取的 W_Q、W_K、W_V 和 W_O，所以这个模型不显示它。",
    "weights.unknown_layout": "它的注意力权重排布方式是本探索器不认识的",
    "common.layer": "层",
    "common.head": "头",
    "common.layers": "层",
    "common.heads": "头",
    "common.query_token": "查询词元",
    # -- Attention maps (pages/attention.py) --------------------------------------------------------------------
    "walk.purpose": "逐步查看注意力是如何计算的",  # the walkthrough page itself is still English
    "attn.purpose": "查看它的注意力图",
    "attn.title": "注意力图",
    "attn.causal": " · 因果：每个查询之后的键被掩码遮住（灰色）",
    "attn.one_head": "单个注意力头",
    "attn.colour_by": "颜色表示",
    "attn.value.attn": "权重（softmax 之后）",
    "attn.value.scores": "原始分数 q·k/√d",
    "attn.read_weights": "每一行是一个查询词元，显示它如何把注意力分配给上方横排的各个键词元；",
    "attn.rows_sum_1": "每行之和为 1。",
    "attn.rows_sink": "每行分给各词元的份额之和小于 1：这个模型家族加了一个注意力汇（attention sink），即每个头一个学"
    "习得到的 "
    "logit，它在每一行里占去自己的一份（与注意力图一起保存在 run.sink 中）。",
    "attn.read_scores": "每一行是一个查询词元，显示它与上方每个键词元的原始分数 q·k/√d（softmax 之前）：分数可大可小、"
    "可正可负"
    "（蓝色大于 0，红色小于 0），对一行做 softmax 就得到这一行的权重。",
    "attn.masked": "灰色格子是模型的掩码对该查询隐藏的键。",
    "attn.hover": "把鼠标悬停在格子上可查看它的权重和原始分数",
    "attn.pooled": "；超过 {limit} 个词元时，每个格子代表一块词元，颜色取块内最大的{what}",
    "attn.what.attn": "权重",
    "attn.what.scores": "分数",
    "attn.pooled_csv": "（它的 CSV 列出的也是这些块：逐格列出将有 {cells:,} 行；导出页会全部写出，下方的窗口则列出其中"
    "的每个格子）。",
    "attn.end": "。",
    "attn.window": "**精确窗口：{n} 个查询 × {n} 个键**",
    "attn.first_query": "第一个查询词元",
    "attn.first_key": "第一个键词元",
    "attn.window_caption": "同一个头，未经池化：每个格子是一个查询词元对一个键词元的权重，只为这些行计算。"
    "可以把窗口移到上图的任意位置（灰色：被掩码隐藏的键）。",
    "attn.every_head": "所有注意力头",
    "attn.colour_scale": "颜色刻度",
    "attn.scale.head": "每个头各自的最大值",
    "attn.scale.global": "所有头统一的 0–1 刻度",
    "attn.download": "下载 {file}",
    "attn.overview_sampled": (
        "共 {n} 个词元时，每一行像素取 {rows} 个均匀间隔的查询词元之一（其键仍取块内最大值），"
        "因此每张图只计算 {rows} 行，而不是 {n} 行。"
    ),
    "attn.overview_caption": "所有层（行）× 所有头（列），每一格都是上面那种图的缩小版：查询自上而下，键从左到右，颜色"
    "越深注意力越多"
    "（用平方根刻度，微弱的模式也能看见）。斜线是关注前一个或后一个词元的头；第一列很深的，是把注意力停在第一个词元"
    "（[CLS] 或 BOS）上的头。",
    "attn.one_token": "一个词元，所有注意力头",
    "attn.scope": "注意力头",
    "attn.scope.all": "所有层",
    "attn.scope.layer": "仅第 {layer} 层",
    "attn.token_caption": "每一行是一个头；颜色表示在这个头里“{token}”对每个键词元的关注程度。看法一致的头会形成竖条纹"
    "；"
    "灰色格子被掩码遮住。",
    # -- Head comparison (pages/compare.py) ---------------------------------------------------------------------
    "compare.purpose": "比较它的各个注意力头",
    "compare.title": "注意力头对比",
    "compare.summary": "{summary} = {n} 个头",
    "compare.side": "并排比较注意力头",
    "compare.how_many": "头的数量",
    "compare.side_caption": "所选各头的注意力图（查询自上而下，键从左到右）共用一个颜色刻度，同样的蓝色在每个面板里代"
    "表同样的权重。"
    "在这里看起来相似的头，在下方所有头的分布图里也会靠得很近。",
    "compare.two_texts": "同一个头，两段文本",
    "compare.reset_b": "把文本 B 重置为只换一个词的版本",
    "compare.text_b": "文本 B（文本 A 是侧边栏里的文本）",
    "compare.run_b": "用模型运行文本 B",
    "compare.run_b_help": (
        "文本 B 与侧栏文本一样要经过模型：{n} 个词元意味着再做一次同样长的前向计算，所以只在你打开时才运行。"
    ),
    "compare.running_b": "正在用模型处理文本 B …",
    "compare.diff_caption": "{head} 在文本 A 和文本 B 上的注意力，使用同一个蓝色刻度",
    "compare.diff_below": "；下方是逐格的 B − A（红色：B 关注得更多，蓝色：更少）。",
    "compare.diff_hover": "；把鼠标悬停在格子上可查看权重。",
    "compare.all": "所有注意力头两两比较",
    "compare.comparing": "正在比较每一对注意力头 …",
    "compare.sim_caption": "每个头与其他每个头比较：两者注意力行之间的 1 − Jensen–Shannon 距离，对所有查询词元取平均"
    "（越亮表示两个头的关注方式越相似）。各头按层次聚类排序，所以对角线上的亮块就是做同一件事的一族头。",
    "compare.sim_by_layer": "共有 {n} 个头，所以每个格子是两层的头之间的平均值（对角线：同一层中不同的头之间）；"
    "下方的分布图仍然显示每一个头。",
    "compare.sim_sampled": "抽样：在 {n} 个查询词元中均匀选取 {rows} 个取平均（每一行都是精确的），以便在头和词元这么"
    "多时仍然够快；"
    "由此造成的距离标准误差最大为 ±{error:.4f}。下方的头角色使用同样的行。",
    "compare.mds_caption": "每个点是一个头，点与点之间的距离近似于它们的 Jensen–Shannon 距离（经典 MDS），按层着色，"
    "与 Clark 等人（2019）的论文 “What does BERT look at?” 一致。悬停可查看它的角色。",
    "compare.roles": "注意力头的角色",
    "compare.col.name": "头",
    "compare.col.layer": "层",
    "compare.col.head": "头编号",
    "compare.col.label": "角色",
    "compare.col.entropy_bits": "熵（比特）",
    "compare.col.entropy_norm": "熵 ÷ 最大熵",
    "compare.col.mean_distance": "平均距离",
    "compare.col.to_special": "给 [CLS]/[SEP]/BOS",
    "compare.col.to_first": "给第一个词元",
    "compare.col.to_self": "给自己",
    "compare.col.to_previous": "给前一个词元",
    "compare.col.to_next": "给后一个词元",
    "compare.col.top_special": "最多的特殊词元",
    "compare.roles_caption": "每个头一行；点击列名可排序。份额是每个查询词元的平均注意力；熵以比特为单位（0 = 全部落在"
    "一个键上）；"
    "平均距离是以词元计的 Σ 权重·|查询 − 键|。角色标签（英文）的规则：{rules}",
    "compare.caveat": "注意：这些角色是在 {n} 个词元上测得的，多于这个模型训练时的 {trained} 个；超过这个长度，头的行"
    "为可能改变"
    "（关注前一个词元的头可能跳到很远的地方），所以标签描述的是这段文本，而不是这个头在它学习过的文本上的表现。",
    # -- Q/K/V vectors (pages/qkv.py) ---------------------------------------------------------------------------
    "qkv.purpose": "查看它的查询、键和值向量",
    "qkv.title": "Q/K/V 向量",
    "qkv.summary": "{summary} · d_head {d_head} · 一个头、一个查询词元：它的注意力权重从何而来",
    "qkv.show_all": "显示全部 {n} 个键（否则只显示权重最大的 {top} 个）",
    "qkv.q_and_k": "“{token}”的 q 与每个键的 k",
    "qkv.q_title": "词元 {i}“{token}”的 q 向量，{head}",
    "qkv.q_caption": "这个词元在 {head} 中的查询向量 q = x·W_Q：共 {d} 个数，红色为正，蓝色为负。",
    "qkv.rotary": "旋转位置编码（RoPE）已经施加在上面。",
    "qkv.neuron_caption": "左：每个键的 k 向量。中：q ∘ k，即 q 和 k 逐维相乘；红色格子把分数推高，蓝色格子把分数拉低。"
    "右：把中间每一行加起来，就是点积 q·k",
    "qkv.neuron_causal": "；灰色的键被（因果）掩码遮住。",
    "qkv.end": "。",
    "qkv.top_keys": "这里按文本顺序显示权重最大的 {n} 个键。",
    "qkv.scale_softmax": "÷√d_k，再做 softmax",
    "qkv.softmax_caption": "左：q·k × {scale:.4g}，即模型自己的缩放系数（1/√{d} = {inv:.4g}），得到分数。右：对分数做 "
    "softmax "
    "得到注意力权重，它们{sums}。这里由 q 和 k 重新算出的分数与模型自己的分数相差不超过 {gap_scores:.1e}，"
    "权重相差不超过 {gap_weights:.1e}。",
    "qkv.sum_1": "在所有键上加起来等于 1",
    "qkv.sum_sink": "在所有键上加起来小于 1（剩下的由这个模型家族的注意力汇占去）",
    "qkv.v_section": "Σ 权重 · v：这个头对“{token}”的输出",
    "qkv.v_title": "每个键的 v 向量（{head}）",
    "qkv.v_x": "头的维度",
    "qkv.v_y": "键（及其权重）",
    "qkv.v_caption": "{head} 中每个键的值向量 v = x·W_V，每个键一行（{d} 个数，红色为正，蓝色为负）；键旁边的数是查询"
    "给它的权重。"
    "分数只决定查询从每个 v 中取多少，取到的内容是 v。",
    "qkv.v_top": "这里按文本顺序显示全部 {total} 个键中权重最大的 {n} 个，它们合起来占这个查询注意力的 {share:.1%}。",
    "qkv.context_title": "词元 {i}“{token}”的上下文向量，{head}",
    "qkv.context_label": "上下文",
    "qkv.context_caption": "“{token}”在这个头中的上下文向量：把每个键的 v 乘以它的权重，再对全部 {n} 个键求和"
    "（Σ 权重·v），共 {d} 个数。这是模型自己算出的结果（run.context）；这里用上面的权重算出的 Σ 权重·v 与它相差"
    "不超过 {gap:.1e}。把它和其他头的上下文向量拼接起来，再乘以 W_O，就是注意力层对这个词元的输出。",
    "qkv.subspaces": "不同的头，不同的子空间",
    "qkv.overlap_what": "W_Q、W_K、W_V 和 W_O 子空间的比较",
    "qkv.projection": "投影矩阵",
    "qkv.layer_rows": "层（行）",
    "qkv.layer_cols": "层（列）",
    "qkv.overlap_caption": "每个头的 W_{which} 块张成 {d_model} 维模型空间中的一个 {d_head} 维子空间；"
    "每个格子是两个头的子空间之间各主角（principal angles）的 cos² 的平均值（1 = 同一个子空间，0 = 相互正交）。"
    "随机子空间大约是 {chance:.3f}；这里{pairs}头对的平均值是 {mean:.3f}。",
    "qkv.pairs_other": "不同的",
    "qkv.pairs_these": "这些",
    "qkv.gqa": "在分组查询注意力（GQA）下，W_K 和 W_V 只有 {n} 个头。",
    # -- Representation subspaces (pages/subspaces.py) ----------------------------------------------------------
    "subspaces.purpose": "查看它的哪些注意力头能区分一个词的不同词义",
    "subspaces.title": "表示子空间",
    "subspaces.intro": "每个头都把每个词元投影到它自己的一个小空间里（这里 d_head = {d_head}，模型共 {d_model} 维）。"
    "给模型输入以不同词义使用同一个词的句子（apple 指水果，Apple 指品牌），看看哪些头能把这些词义分开。",
    "subspaces.intro_encdec": "这个编码器–解码器模型用编码器读取每个句子：这里的头是编码器的自注意力头。",
    "subspaces.sentences": "句子",
    "subspaces.source.builtin": "内置句子集",
    "subspaces.source.typed": "自己输入",
    "subspaces.source.upload": "上传 CSV",
    "subspaces.builtin_set": "内置句子集",
    "subspaces.show_sentences": "查看这些句子",
    "subspaces.col.sense": "词义",
    "subspaces.col.sentence": "句子",
    "subspaces.download_set": "把这个句子集下载为 CSV（即上传用的格式）",
    "subspaces.target": "目标词",
    "subspaces.target_placeholder": "例如 bank",
    "subspaces.sense_default": "词义 {n}",
    "subspaces.sense": "词义 {n}",
    "subspaces.sense_sentences": "词义 {n} 的句子，每行一句",
    "subspaces.sense_placeholder": "The river burst its banks.\nWe sat on the grassy bank.",
    "subspaces.add_sense": "添加一个词义",
    "subspaces.remove_sense": "删除最后一个词义",
    "subspaces.typed_info": "请输入目标词，并为每个词义输入两句或更多使用它的句子（每行一句）。",
    "subspaces.upload": "包含 sentence、sense、target 三列的 CSV（每行一个句子，只有一个目标词）",
    "subspaces.upload_info": "请上传表头为 sentence,sense,target 的 CSV 文件。内置句子集展示了这种格式："
    "内置句子集 → 查看这些句子 → 把这个句子集下载为 CSV。",
    "subspaces.space": "空间",
    "space.q": "查询（q）",
    "space.k": "键（k）",
    "space.v": "值（v）",
    "space.context": "头的输出（context = attn @ v）",
    "subspaces.shuffles": "标签打乱次数（置换检验）",
    "subspaces.running": "正在运行 {n} 个句子并为每个头打分 …",
    "subspaces.vs": " vs ",
    "subspaces.summary": "**{target}** · {senses} · 空间 **{space}** · 最佳头 **L{layer} H{head}**：区分度 {score:.2f}"
    "（p = {p:.3f}）· 整个隐藏状态的最高区分度 {hidden_score:.2f}（{hidden}）· {total} 个头中有 {significant} 个显著",
    "subspaces.heatmap_caption": "每个格子是一个头；颜色表示**区分度**：在这个头中，按目标词 {space} 向量之间的余弦距"
    "离计算的各词义"
    "轮廓系数（silhouette）（+1：每个句子离自己的词义都比离其他词义近得多；0：没有结构；小于 0：混在一起）。"
    "“n.s.” 标出**不显著**的头：p 值来自对词义标签的 {shuffles} 次打乱，并按检验全部 {total} 个头做了校正"
    "（Benjamini–Hochberg，{level:.0%}）。点击一个格子可以查看这个头的内部。",
    "subspaces.gqa": "这个模型让每 {n} 个查询头共用一个键/值头（分组查询注意力，GQA），所以同一组的头有相同的 k 和 v "
    "向量，"
    "分数也相同。",
    "subspaces.baseline_caption": "条形：在每一层之后，用模型整个隐藏状态（{d_model} 维）计算的同一个分数。菱形：这一"
    "层中最好的单个头。"
    "菱形在条形右边，说明一个头的小子空间比完整的表示更能区分词义。",
    "subspaces.inside": "单个头的内部",
    "subspaces.head_line": "L{layer} H{head}：区分度 **{score:.3f}**，p = {p:.4f}，校正后 p = {q:.4f}",
    "subspaces.not_significant": "（不显著）",
    "subspaces.scatter_title": "“{target}”在 {head} 中（{space}）",
    "subspaces.scatter_caption": "每个点是一个句子：目标词在这个头中的 {space} 向量，缩放到长度 1（和余弦分数看到的一"
    "样），"
    "再投影到它的两个主方向上（PCA）。颜色各自成团，就是高分的含义。把鼠标悬停在点上可以读到对应的句子。",
    "subspaces.best_heads": "**最佳的头**",
    "subspaces.col.layer": "层",
    "subspaces.col.head": "头",
    "subspaces.col.score": "区分度",
    "subspaces.col.p_value": "p 值",
    "subspaces.col.q_value": "校正后 p",
    "subspaces.col.significant": "显著",
    "subspaces.ranking_caption": "在这个空间中区分度最高的十个头。p 值 = (1 + 得分不低于它的打乱次数) / {n}：最小可能"
    "值 {floor:.4f} "
    "表示没有任何一次标签打乱达到这个分数；这十个头中有 {at_floor} 个达到最小值，更大的 p 值则计入了得分同样高的打乱次"
    "数。",
    "subspaces.attends": "目标词关注什么",
    "subspaces.words": "词",
    "subspaces.rank.distinctive": "使这个词义与众不同的",
    "subspaces.rank.weight": "得到注意力最多的",
    "subspaces.include_special": "包括 [CLS]/[SEP] 和标点",
    "subspaces.attends_title": "在 {head} 中“{target}”看向哪里（按词义）",
    "subspaces.attends_caption": "对每个词义，显示这个头的注意力从目标词流向哪些词：对该词义的所有句子取平均（不含这个"
    "词的句子记为 0；"
    "目标词自身的子词不计）。“使这个词义与众不同的”会减去其他词义句子上的同一平均值，所以常见词（the、a）只按它们在这"
    "个词义中"
    "多得到的注意力计分。无论上面选哪个空间，注意力都是一样的。",
    # -- Export (pages/export.py) -------------------------------------------------------------------------------
    "export.purpose": "导出它的注意力",
    "export.title": "导出",
    "export.summary": "{summary}。所有内容打包进一个 zip；run.npz 总是包含整个运行结果。",
    "export.formats": "格式",
    "format.png": "PNG 热力图（每个头一张，另加一张所有头的总览）",
    "format.svg": "SVG 热力图（每个头一张：文字为矢量，注意力图为一张嵌入的图像）",
    "format.csv": "attention.csv（长表格式）",
    "format.json": "run.json（元数据；数据量小时包含权重）",
    "format.npz": "run.npz（所有数组，float32）",
    "export.col.format": "格式",
    "export.col.files": "文件数",
    "export.col.size": "估计大小",
    "export.heads_one": "已选 {n} 个头",
    "export.heads_many": "已选 {n} 个头",
    "export.size_caption": "{heads} · zip 压缩前约 **{total}**（{files} 个文件）。run.json 只在不超过 {limit:,} 个数时"
    "才包含权重。"
    "热力图（PNG，以及带矢量文字的 SVG）直接由注意力图画出，每边最多 640 像素，长文本做最大池化：每个头约 0.1 秒。",
    "export.too_big": "约 {total}：超过了这台机器能为一个 zip 腾出的 {budget}。请选择更少的头或格式，或者使用下面的命"
    "令行，"
    "它会把文件逐个写入一个文件夹。",
    "export.big": "约 {total}：浏览器会把整个 zip 放在内存里。请选择更少的头或格式，或者使用下面的命令行，它会把文件逐"
    "个写入一个文件夹。",
    "export.build": "生成 zip",
    "export.starting": "开始 …",
    "export.done": "完成：压缩后 {size}。",
    "export.download": "下载 zip（{size}）",
    "export.changed": "上次生成 zip 之后选择已经改变：请重新生成。",
    "export.cli": "用命令行导出",
    "export.cli_caption": "先把文本保存到 text.txt。这条命令会把同样的文件写入 export/ 文件夹。",
    # -- "walk.": reserved for pages/walkthrough.py (its strings move here in a later session) ------------------
}

# -- Text inside charts (app/i18n/charts.py): English template -> Chinese. The library draws charts in English;
# the app translates each chart's titles on the way to the page. {placeholders} are carried over unchanged.
CHARTS: dict[str, str] = {
    # axes, legends and tooltips (explorer/views)
    "weight": "权重",
    "raw score": "原始分数",
    "max raw score": "最大原始分数",
    "max weight": "最大权重",
    "mean weight": "平均权重",
    "query": "查询",
    "key": "键",
    "value": "值",
    "token": "词元",
    "head": "头",
    "layer": "层",
    "vs": "对比",
    "role": "角色",
    "score": "分数",
    "scaled": "缩放后",
    "sense": "词义",
    "difference": "差值",
    "separation": "区分度",
    "significant": "显著",
    "dimension": "维度",
    "context": "上下文",
    "q": "q",
    "k": "k",
    "v": "v",
    "query tokens": "查询词元",
    "key tokens": "键词元",
    "key token": "键词元",
    "key (attended to)": "键（被关注的词元）",
    "query (attending)": "查询（发出关注的词元）",
    "layer and head": "层与头",
    "head (L layer H head)": "头（L 层 H 头）",
    "layer (mean over its heads)": "层（其各头的平均）",
    "JS distance": "JS 距离",
    "dimension of the head": "头的维度",
    "dimension of d_model": "d_model 的维度",
    "dimension of d_k": "d_k 的维度",
    "concat dimension": "拼接后的维度",
    "attention weight": "注意力权重",
    "softmax weight": "softmax 权重",
    "mean cos²": "平均 cos²",
    "key (its weight)": "键（及其权重）",
    "token (key = value)": "词元（键 = 值）",
    "separation (silhouette)": "区分度（轮廓系数）",
    "p-value": "p 值",
    "p-value (permutations)": "p 值（置换检验）",
    "adjusted p (BH, all heads)": "校正后的 p（BH，所有头）",
    "hidden state": "隐藏状态",
    "best head of this layer": "本层最好的头",
    "target as written": "原文中的目标词",
    "mean attention (this sense)": "平均注意力（本词义）",
    "mean attention (other senses)": "平均注意力（其他词义）",
    "sentences with the word": "含该词的句子数",
    "mean attention from the target": "目标词给出的平均注意力",
    "attention beyond the other senses": "比其他词义多出的注意力",
    "Whole hidden state": "整个隐藏状态",
    "bar: all dimensions; ◆: best head of the layer": "条形：全部维度；◆：该层最好的头",
    "MDS 1": "MDS 1",
    "MDS 2": "MDS 2",
    "PC {n} ({share} of variance)": "主成分 {n}（解释 {share} 的方差）",
    "head of layer {layer}": "第 {layer} 层的头",
    # chart titles (explorer/views)
    "{head} (blocks of tokens)": "{head}（按词元块池化）",
    "{head}: queries {q0}–{q1} × keys {k0}–{k1}, exact": "{head}：查询 {q0}–{q1} × 键 {k0}–{k1}，精确值",
    "Where “{token}” (token {i}) attends, every layer": "“{token}”（第 {i} 个词元）关注哪里（所有层）",
    "Where “{token}” (token {i}) attends, layer {layer}": "“{token}”（第 {i} 个词元）关注哪里（第 {layer} 层）",
    "Where “{token}” (token {i}, text “{text}”) attends, every layer": (
        "“{token}”（第 {i} 个词元，原文“{text}”）关注哪里（所有层）"
    ),
    "Where “{token}” (token {i}, text “{text}”) attends, layer {layer}": (
        "“{token}”（第 {i} 个词元，原文“{text}”）关注哪里（第 {layer} 层）"
    ),
    "Text A, {head}": "文本 A，{head}",
    "Text B, {head}": "文本 B，{head}",
    "Text A, {head} (blocks of tokens)": "文本 A，{head}（按词元块池化）",
    "Text B, {head} (blocks of tokens)": "文本 B，{head}（按词元块池化）",
    "B − A (blocks of tokens)": "B − A（按词元块池化）",
    "Head × head similarity (1 − Jensen–Shannon distance)": "头 × 头相似度（1 − Jensen–Shannon 距离）",
    "Layer × layer similarity (1 − mean JS distance of their heads)": "层 × 层相似度（1 − 其各头的平均 JS 距离）",
    "Map of all heads (MDS of Jensen–Shannon distances)": "所有头的分布图（Jensen–Shannon 距离的 MDS）",
    "q ∘ k for every key (rows add up to q·k)": "每个键的 q ∘ k（每行之和为 q·k）",
    "k vector of every key": "每个键的 k 向量",
    "q·k (sum of each row of q∘k)": "q·k（q∘k 每行之和）",
    "scaled score q·k × {scale}": "缩放后的分数 q·k × {scale}",
    "Overlap of W_{which} head subspaces (mean cos² of principal angles)": (
        "W_{which} 各头子空间的重叠（主角 cos² 的平均）"
    ),
    "“{target}”: separation of {n} senses per head ({space})": "“{target}”：每个头对 {n} 个词义的区分度（{space}）",
}
