import { nextTick } from 'vue'
import { describe, expect, it } from 'vitest'

import { ADMIN_TOKEN_KEY, useAdminToken } from '../useAdminToken'

function fakeStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial))
  return {
    data,
    getItem: (key: string) => data.get(key) ?? null,
    setItem: (key: string, value: string) => void data.set(key, value),
    removeItem: (key: string) => void data.delete(key),
  }
}

describe('useAdminToken', () => {
  it('starts from the stored token and keeps changes in the storage', async () => {
    const storage = fakeStorage({ [ADMIN_TOKEN_KEY]: 'abc' })
    const admin = useAdminToken(storage)
    expect(admin.current()).toBe('abc')
    admin.token.value = '  s3cret  '
    await nextTick()
    expect(storage.data.get(ADMIN_TOKEN_KEY)).toBe('s3cret')
    expect(admin.current()).toBe('s3cret')
  })

  it('forgets an emptied token and then sends none', async () => {
    const storage = fakeStorage({ [ADMIN_TOKEN_KEY]: 'abc' })
    const admin = useAdminToken(storage)
    admin.token.value = ' '
    await nextTick()
    expect(storage.data.has(ADMIN_TOKEN_KEY)).toBe(false)
    expect(admin.current()).toBeNull()
  })
})
