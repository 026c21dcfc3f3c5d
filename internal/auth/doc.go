// Package auth holds what vigil serve needs to know who is asking and what
// they may do: roles, password hashing (argon2id), API tokens, random
// secrets for sessions and CSRF, and the login rate limiter. It does no I/O
// besides reading the system's random source; storing users, tokens and
// sessions is the store's business.
package auth
