// Strings of the meet and display pages, Vietnamese first (C6). The language follows the shared switch
// (control-ui/src/shared/i18n.ts); these keys live here so the media pages do not edit the panel's catalogue.
import { locale } from '../shared/i18n';

const vi = {
  'meet.title': 'Họp trực tuyến',
  'meet.code': 'Mã cuộc họp: {code}',
  'meet.noCode': 'Đường dẫn không có mã cuộc họp. Hãy mở đường dẫn dạng /meet/<mã>.',
  'meet.name': 'Tên hiển thị',
  'meet.unit': 'Đơn vị',
  'meet.password': 'Mật khẩu cuộc họp (nếu có)',
  'meet.camera': 'Bật camera khi vào họp',
  'meet.mic': 'Bật micro khi vào họp',
  'meet.join': 'Tham gia',
  'meet.joining': 'Đang tham gia…',
  'meet.leave': 'Rời cuộc họp',
  'meet.left': 'Bạn đã rời cuộc họp.',
  'meet.rejoin': 'Tham gia lại',
  'meet.nameRequired': 'Hãy nhập tên hiển thị (M6.2: mỗi điểm cầu hiển thị tên và đơn vị)',
  'meet.inCall': 'Đang họp: {title}',
  'meet.ended': 'Cuộc họp đã kết thúc.',
  'meet.disconnected': 'Mất kết nối tới máy chủ họp.',
  'meet.noDevices': 'Không mở được camera/micro ({reason}); bạn vẫn xem và nghe được cuộc họp.',
  'meet.you': 'Bạn',
  'meet.participants': 'Điểm cầu ({count})',
  'meet.room': 'Phòng họp',
  'meet.person': 'Cá nhân',
  'meet.cameraOn': 'Bật camera',
  'meet.cameraOff': 'Tắt camera',
  'meet.micOn': 'Bật micro',
  'meet.micOff': 'Tắt micro',
  'meet.paused': 'Đã tắt hình',
  'meet.waiting': 'Chưa có điểm cầu nào khác gửi hình.',
  'err.bad_password': 'Sai mật khẩu cuộc họp.',
  'err.not_found': 'Không tìm thấy cuộc họp với mã này.',
  'err.network': 'Không kết nối được máy chủ họp.',
  'err.client_timeout': 'Máy chủ họp không trả lời kịp.',
  'err.other': 'Không tham gia được: {message}',
  'display.title': 'Màn hình phòng họp',
  'display.idle': 'Chưa có điểm cầu nào. Khi phòng tham gia cuộc họp, hình ảnh sẽ hiện ở đây.',
  'display.connecting': 'Đang kết nối tới thiết bị phòng họp…',
  'display.reconnecting': 'Mất kết nối — đang kết nối lại…',
  'display.noToken': 'Màn hình cần đăng nhập.',
};

export type MediaMessageKey = keyof typeof vi;

const en: Record<MediaMessageKey, string> = {
  'meet.title': 'Online meeting',
  'meet.code': 'Meeting code: {code}',
  'meet.noCode': 'The link has no meeting code. Open a link like /meet/<code>.',
  'meet.name': 'Display name',
  'meet.unit': 'Unit / organisation',
  'meet.password': 'Meeting password (if any)',
  'meet.camera': 'Camera on when joining',
  'meet.mic': 'Microphone on when joining',
  'meet.join': 'Join',
  'meet.joining': 'Joining…',
  'meet.leave': 'Leave the meeting',
  'meet.left': 'You left the meeting.',
  'meet.rejoin': 'Join again',
  'meet.nameRequired': 'Enter your display name (M6.2: every endpoint shows name and unit)',
  'meet.inCall': 'In the meeting: {title}',
  'meet.ended': 'The meeting has ended.',
  'meet.disconnected': 'Lost the connection to the meeting service.',
  'meet.noDevices': 'Could not open camera/microphone ({reason}); you can still watch and listen.',
  'meet.you': 'You',
  'meet.participants': 'Endpoints ({count})',
  'meet.room': 'Meeting room',
  'meet.person': 'Individual',
  'meet.cameraOn': 'Turn camera on',
  'meet.cameraOff': 'Turn camera off',
  'meet.micOn': 'Unmute',
  'meet.micOff': 'Mute',
  'meet.paused': 'Video off',
  'meet.waiting': 'No other endpoint is sending video yet.',
  'err.bad_password': 'Wrong meeting password.',
  'err.not_found': 'No meeting with this code.',
  'err.network': 'Cannot reach the meeting service.',
  'err.client_timeout': 'The meeting service did not answer in time.',
  'err.other': 'Could not join: {message}',
  'display.title': 'Room display',
  'display.idle': 'No endpoints yet. When the room joins a meeting, the video appears here.',
  'display.connecting': 'Connecting to the room box…',
  'display.reconnecting': 'Connection lost — reconnecting…',
  'display.noToken': 'The display needs to sign in.',
};

export function tm(key: MediaMessageKey, params?: Record<string, string | number>): string {
  const s = (locale.value === 'en' ? en : vi)[key];
  return params ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : s;
}

/** A server error code → a sentence; the server's own "vi / en" message otherwise. */
export function joinErrorText(code: string, message: string): string {
  const known = `err.${code}` as MediaMessageKey;
  if (known in vi) return tm(known);
  const i = message.indexOf(' / ');
  const local = i < 0 ? message : locale.value === 'vi' ? message.slice(0, i) : message.slice(i + 3);
  return tm('err.other', { message: local });
}
