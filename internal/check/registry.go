package check

import "slices"

// judges lists every judge in the order they run. Order is data: it decides
// only the order of hits before findings are sorted by severity.
var judges = []Judge{
	judgeIdentified,
	judgeTLS,
	judgeTLSDeep,
	judgeSSH,
	judgeSMB,
	judgeRDP,
	JudgeAccess,
	judgeAPIs,
	judgeFiles,
	judgeExposure,
	judgeDNS,
	judgeNTP,
	judgeTFTP,
	judgeCoverage,
	judgeHTTP,
}

// catalogue is the registry of every check vigil knows, in the order
// `vigil checks` lists them: the core checks, then each area's own list
// (declared beside its judge). IDs are normative (../shared/DESIGN.md).
var catalogue = slices.Concat(
	coreChecks,
	httpChecks,
	apisChecks,
	filesChecks,
	smbChecks,
	rdpChecks,
	dnsChecks,
	ntpChecks,
	tftpChecks,
	tlsDeepChecks,
	dataChecks,
)
