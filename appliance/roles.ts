// DESIGN.md §7. Every route and WebSocket command declares which of these may use it.
export const ROLES = ['panel', 'chair', 'secretary', 'participant', 'technician', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Vietnamese first (C6), English second. */
export const ROLE_LABELS: Record<Role, { vi: string; en: string }> = {
  panel: { vi: 'Bảng điều khiển', en: 'Panel' },
  chair: { vi: 'Chủ tọa', en: 'Chair' },
  secretary: { vi: 'Thư ký', en: 'Secretary' },
  participant: { vi: 'Người tham dự', en: 'Participant' },
  technician: { vi: 'Kỹ thuật viên', en: 'Technician' },
  admin: { vi: 'Quản trị', en: 'Administrator' },
  auditor: { vi: 'Kiểm toán', en: 'Auditor' },
};

/** Who may steer the room's own equipment from the panel. */
export const ROOM_OPERATORS: Role[] = ['panel', 'chair', 'secretary', 'technician', 'admin'];

export interface AuthUser {
  id: number;
  username: string;
  role: Role;
}
