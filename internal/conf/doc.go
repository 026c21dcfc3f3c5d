// Package conf is the home of vigil's configuration-file grammars, one
// package each: nginx (nginx.conf), sshd (sshd_config), apache (httpd's
// configuration), samba (smb.conf) and bind (named.conf). Each splits a
// file into tokens or directives with their line numbers, and knows
// nothing of what the directives mean; host audits and fixes judge and
// edit with what they return. None follows include directives: callers
// do, reading files through their own Target with their own limits. Every
// parser has a fuzz test and never panics on hostile input.
package conf
