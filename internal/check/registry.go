package check

import (
	"slices"

	"github.com/vigilsec/vigil/internal/protocols"
)

// judges lists every judge in the order they run. Order is data: it decides
// only the order of hits before findings are sorted by severity.
var judges = slices.Concat([]Judge{
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
	judgeTFTP,
	judgeCoverage,
	judgeHTTP,
}, moduleJudges(protocols.Modules))

// catalogue is the registry of every check vigil knows, in the order
// `vigil checks` lists them: the core checks, then each area's own list
// (declared beside its judge); the protocol modules' checks
// (internal/protocols) stand where the first module's, NTP's, stood. IDs are normative (../shared/DESIGN.md).
var catalogue = slices.Concat(
	coreChecks,
	httpChecks,
	apisChecks,
	filesChecks,
	smbChecks,
	rdpChecks,
	dnsChecks,
	moduleChecks(protocols.Modules),
	tftpChecks,
	tlsDeepChecks,
	dataChecks,
	hostBindChecks,
	hostSambaChecks,
	hostApacheChecks,
)
