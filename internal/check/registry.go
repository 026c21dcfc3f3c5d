package check

// judges lists every judge in the order they run. Order is data: it decides
// only the order of hits before findings are sorted by severity.
var judges = []Judge{
	judgeIdentified,
	judgeTLS,
	judgeSSH,
	JudgeAccess,
	judgeExposure,
	judgeCoverage,
}
