package demo

// Names used by the generator: Putuo's real streets and towns, real road names
// for communities and fuel stations, and pools for compounds and managers.

type name struct{ zh, en string }

// streetNames lists the streets (街道) and towns (镇) in layout order; see
// streetOf for where each one lies.
var streetNames = []name{
	{"长征镇", "Changzheng Town"},
	{"长风新村街道", "Changfeng Xincun Subdistrict"},
	{"曹杨新村街道", "Caoyang Xincun Subdistrict"},
	{"长寿路街道", "Changshou Road Subdistrict"},
	{"真如镇街道", "Zhenru Town Subdistrict"},
	{"万里街道", "Wanli Subdistrict"},
	{"石泉路街道", "Shiquan Road Subdistrict"},
	{"宜川路街道", "Yichuan Road Subdistrict"},
	{"桃浦镇", "Taopu Town"},
	{"甘泉路街道", "Ganquan Road Subdistrict"},
}

// roads are real road names of Putuo and its neighbours, used for communities.
var roads = []name{
	{"兰溪路", "Lanxi Road"}, {"枣阳路", "Zaoyang Road"}, {"梅岭北路", "Meiling North Road"},
	{"金沙江路", "Jinshajiang Road"}, {"大渡河路", "Daduhe Road"}, {"曹杨路", "Caoyang Road"},
	{"武宁路", "Wuning Road"}, {"铜川路", "Tongchuan Road"}, {"真北路", "Zhenbei Road"},
	{"岚皋路", "Langao Road"}, {"宜川路", "Yichuan Road"}, {"西康路", "Xikang Road"},
	{"普雄路", "Puxiong Road"}, {"长寿路", "Changshou Road"}, {"石泉路", "Shiquan Road"},
	{"志丹路", "Zhidan Road"}, {"新村路", "Xincun Road"}, {"桃浦路", "Taopu Road"},
	{"祁连山路", "Qilianshan Road"}, {"真华路", "Zhenhua Road"}, {"常德路", "Changde Road"},
	{"光复西路", "Guangfu West Road"}, {"云岭东路", "Yunling East Road"}, {"丹巴路", "Danba Road"},
	{"李子园路", "Liziyuan Road"}, {"怒江路", "Nujiang Road"}, {"白玉路", "Baiyu Road"},
	{"新会路", "Xinhui Road"}, {"澳门路", "Aomen Road"}, {"中潭路", "Zhongtan Road"},
	{"延长西路", "Yanchang West Road"}, {"交通路", "Jiaotong Road"}, {"泸定路", "Luding Road"},
	{"杏山路", "Xingshan Road"}, {"梅川路", "Meichuan Road"}, {"杨柳青路", "Yangliuqing Road"},
	{"真光路", "Zhenguang Road"}, {"凯旋北路", "Kaixuan North Road"}, {"曹安路", "Cao'an Road"},
	{"沪太路", "Hutai Road"}, {"华池路", "Huachi Road"}, {"甘泉路", "Ganquan Road"},
	{"管弄路", "Guannong Road"}, {"子长路", "Zichang Road"}, {"安远路", "Anyuan Road"},
	{"柳园路", "Liuyuan Road"}, {"武威路", "Wuwei Road"}, {"敦煌路", "Dunhuang Road"},
	{"礼泉路", "Liquan Road"}, {"西乡路", "Xixiang Road"}, {"同普路", "Tongpu Road"},
	{"绥德路", "Suide Road"}, {"古浪路", "Gulang Road"}, {"清峪路", "Qingyu Road"},
}

var ordinals = []name{
	{"第一", "No. 1"}, {"第二", "No. 2"}, {"第三", "No. 3"}, {"第四", "No. 4"}, {"第五", "No. 5"},
}

// compound name parts: two syllables and a suffix, e.g. 金华苑 Jinhua Court.
var compoundSyllables = []name{
	{"金", "Jin"}, {"华", "Hua"}, {"锦", "Jin"}, {"绿", "Lv"}, {"翠", "Cui"}, {"景", "Jing"},
	{"明", "Ming"}, {"和", "He"}, {"康", "Kang"}, {"安", "An"}, {"丰", "Feng"}, {"宜", "Yi"},
	{"春", "Chun"}, {"兰", "Lan"}, {"梅", "Mei"}, {"桃", "Tao"}, {"枫", "Feng"}, {"嘉", "Jia"},
	{"阳", "Yang"}, {"泰", "Tai"}, {"瑞", "Rui"}, {"盛", "Sheng"}, {"新", "Xin"}, {"海", "Hai"},
	{"悦", "Yue"}, {"云", "Yun"}, {"江", "Jiang"}, {"苏", "Su"},
}

var compoundSuffixes = []name{
	{"苑", "Court"}, {"园", "Garden"}, {"新村", "Village"}, {"花园", "Gardens"},
	{"公寓", "Apartments"}, {"小区", "Estate"}, {"家园", "Homes"}, {"名邸", "Residence"},
}

var surnames = []string{
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "朱", "马", "胡", "郭",
	"林", "何", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
	"沈", "陆", "顾", "钱", "蒋", "姚", "蔡", "汪", "金", "丁", "范", "严", "施", "俞", "龚", "费",
}

var givenNames = []string{
	"建华", "秀英", "丽娟", "志强", "敏", "伟", "芳", "静", "海燕", "国平", "红梅", "建国", "美玲",
	"晓东", "雪梅", "卫东", "丽华", "春燕", "文杰", "玉兰", "明", "军", "慧", "磊", "佳怡", "俊杰",
	"淑珍", "桂英", "凤英", "德明", "晓峰", "琳", "婷婷", "立新", "永刚", "霞",
}
