package tlsinfo

// sslv2Kinds holds the SSLv2 cipher kinds (24-bit numbers from the SSL 2.0
// specification), ordered by ID. SSLv2 key exchange is RSA key transport.
var sslv2Kinds = []Suite{
	{ID: 0x010080, Name: "SSL_CK_RC4_128_WITH_MD5", OpenSSL: "RC4-MD5", Kx: KxSSL2RSA, Au: AuRSA, Enc: EncRC4, KeyBits: 128, Strength: 128, MAC: "MD5", MinVersion: VersionSSL2, SSLv2: true},
	{ID: 0x020080, Name: "SSL_CK_RC4_128_EXPORT40_WITH_MD5", OpenSSL: "EXP-RC4-MD5", Kx: KxSSL2RSA, Au: AuRSA, Enc: EncRC4, KeyBits: 128, Strength: 40, MAC: "MD5", Export: true, MinVersion: VersionSSL2, SSLv2: true},
	{ID: 0x030080, Name: "SSL_CK_RC2_128_CBC_WITH_MD5", OpenSSL: "RC2-CBC-MD5", Kx: KxSSL2RSA, Au: AuRSA, Enc: EncRC2, KeyBits: 128, Strength: 128, MAC: "MD5", MinVersion: VersionSSL2, SSLv2: true},
	{ID: 0x040080, Name: "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5", OpenSSL: "EXP-RC2-CBC-MD5", Kx: KxSSL2RSA, Au: AuRSA, Enc: EncRC2, KeyBits: 128, Strength: 40, MAC: "MD5", Export: true, MinVersion: VersionSSL2, SSLv2: true},
	{ID: 0x050080, Name: "SSL_CK_IDEA_128_CBC_WITH_MD5", OpenSSL: "IDEA-CBC-MD5", Kx: KxSSL2RSA, Au: AuRSA, Enc: EncIDEA, KeyBits: 128, Strength: 128, MAC: "MD5", MinVersion: VersionSSL2, SSLv2: true},
	{ID: 0x060040, Name: "SSL_CK_DES_64_CBC_WITH_MD5", OpenSSL: "DES-CBC-MD5", Kx: KxSSL2RSA, Au: AuRSA, Enc: EncDES, KeyBits: 56, Strength: 56, MAC: "MD5", MinVersion: VersionSSL2, SSLv2: true},
	{ID: 0x0700C0, Name: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", OpenSSL: "DES-CBC3-MD5", Kx: KxSSL2RSA, Au: AuRSA, Enc: Enc3DES, KeyBits: 168, Strength: 112, MAC: "MD5", MinVersion: VersionSSL2, SSLv2: true},
	{ID: 0x080080, Name: "SSL_CK_RC4_64_WITH_MD5", OpenSSL: "RC4-64-MD5", Kx: KxSSL2RSA, Au: AuRSA, Enc: EncRC4, KeyBits: 64, Strength: 64, MAC: "MD5", MinVersion: VersionSSL2, SSLv2: true},
}
