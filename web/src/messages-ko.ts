// 한국어 문구. 키는 messages-en.ts와 같습니다 (타입이 확인합니다).
import type { Messages } from './messages-en.js';

export const ko: Messages = {
  appName: 'Lineup',
  tagline: '공정한 줄서기로 만나는 콘서트 티켓',
  skip: '본문으로 건너뛰기',
  switchLanguage: 'View in English',
  navConcerts: '공연',
  navMyTickets: '내 티켓',
  signOut: '로그아웃',
  signedInAs: (who) => `${who}님 로그인됨`,
  points: '포인트',
  dismiss: '닫기',
  loading: '불러오는 중…',

  signInTitle: '로그인',
  signUpTitle: '회원가입',
  name: '이름',
  phone: '휴대폰 번호',
  phoneHint: '예: 010-1234-5678',
  password: '비밀번호',
  passwordHint: '8자 이상',
  signIn: '로그인',
  createAccount: '가입하기',
  welcome: (name) => `${name}님, 환영합니다!`,
  signInToJoin: '로그인하고 대기열 입장',

  concertsTitle: '공연',
  noConcerts: '지금 판매 중인 공연이 없습니다.',
  saleOpens: (when) => `${when} 판매 시작`,
  onSale: '판매 중',
  performances: (n) => `${n}회 공연`,
  joinQueue: '대기열 입장',
  joinQueueFor: (title) => `${title} 대기열 입장`,

  joiningTitle: '대기열 입장 준비 중',
  challengeText:
    '티켓 봇을 막기 위해 이 공연은 대기열에 들어가기 전에 모든 브라우저에 짧은 퍼즐을 풀게 합니다. 지금 브라우저가 퍼즐을 풀고 있으니 이 페이지를 열어 두세요.',
  challengeLabel: '퍼즐 진행 상황',
  challengeProgress: (tried, expected) =>
    tried < expected
      ? `약 ${expected.toLocaleString('ko-KR')}번 중 ${tried.toLocaleString('ko-KR')}번 확인 (${Math.floor((tried / expected) * 100)}%)`
      : `${tried.toLocaleString('ko-KR')}번 확인했습니다. 보통 약 ${expected.toLocaleString('ko-KR')}번이면 끝납니다. 거의 다 됐습니다.`,
  challengeCancel: '취소',
  challengeCancelled: '대기열에 들어가지 않았습니다.',
  announceChallenge: '대기열에 들어가기 전에 브라우저가 짧은 퍼즐을 풀고 있습니다.',
  titleJoining: '대기열 입장 중 · Lineup',

  waitingRoom: '대기실',
  position: (n) => `대기 순번 ${n.toLocaleString('ko-KR')}번`,
  ahead: (n) =>
    n === 0 ? '다음 차례입니다.' : `내 앞에 ${n.toLocaleString('ko-KR')}명이 있습니다.`,
  estimatedWait: '예상 대기 시간',
  eta: (s) =>
    s === null
      ? '계산 중…'
      : s < 60
        ? '1분 이내'
        : s < 3600
          ? `약 ${Math.round(s / 60)}분`
          : s < 86_400
            ? `약 ${Math.floor(s / 3600)}시간 ${Math.round((s % 3600) / 60)}분`
            : '하루 이상',
  progress: '대기 진행률',
  keepOpen:
    '이 페이지를 열어 두세요. 차례가 되면 이 화면에서 바로 좌석 선택이 열립니다. 새로고침해도 순번은 유지됩니다.',
  prequeueTitle: '아직 판매 시작 전입니다',
  prequeueText: (when, n) =>
    `${when}에 예매가 시작됩니다. 사전 대기열에는 나를 포함해 ${n.toLocaleString('ko-KR')}명이 있습니다. 판매가 시작되면 사전 대기열의 모든 분께 무작위로 순번이 배정되어 이후 도착한 분들보다 앞에 서게 되니, 새로고침하지 않으셔도 됩니다.`,
  opensIn: (clock) => `${clock} 후 시작`,
  fairnessLink: '사전 대기열 추첨 방식 (직접 검증하기)',
  leaveQueue: '대기열 나가기',
  soldOutTitle: '지금은 모든 좌석이 찼습니다',
  soldOutText: (held) =>
    held > 0
      ? `모든 좌석이 판매되었거나 결제 중인 팬이 선점하고 있습니다. 선점된 좌석 ${held.toLocaleString('ko')}석은 결제되지 않으면 다시 나올 수 있으며, 그러면 돌아온 좌석 수만큼 대기 중인 팬이 입장합니다.`
      : '모든 좌석이 판매되었습니다. 취소나 환불로 좌석이 돌아올 때만, 돌아온 좌석 수만큼 대기 중인 팬이 입장합니다.',
  soldOutKeepWaiting: '계속 기다리기',
  soldOutLeave: '대기열 나가기',
  soldOutStaying: '대기열에 그대로 있습니다. 좌석이 돌아오면 여기서 이어집니다.',
  leftQueue: '대기열에서 나왔습니다.',
  polling: '네트워크 상태로 실시간 연결이 느립니다. 몇 초마다 순번을 확인합니다.',
  announcePosition: (n, eta) => `대기 순번 ${n}번, 예상 대기 ${eta}.`,
  titleWaiting: (n) => `대기 ${n}번 · Lineup`,
  titlePrequeue: '판매 시작 대기 중 · Lineup',
  yourTurn: '입장 차례입니다!',
  yourTurnText: (time) => `${time}까지 좌석을 선택해 선점하세요.`,
  announceAdmitted: '입장 차례입니다! 좌석 선택이 열렸습니다.',
  titleYourTurn: '🎟 입장 차례입니다! · Lineup',

  timeLeft: '남은 예매 시간',
  chooseSchedule: '회차 선택',
  seatsLeft: (n, total) =>
    `잔여 ${n.toLocaleString('ko-KR')}석 / 전체 ${total.toLocaleString('ko-KR')}석`,
  soldOut: '매진',
  chooseSeats: '좌석 선택',
  stage: '무대',
  gradeHeader: (grade, price, left) => `${grade}석 · ${price} · 잔여 ${left}석`,
  seatAvailable: '선택 가능',
  seatHeld: '선점됨',
  seatSold: '판매 완료',
  seatSelected: '선택함',
  legend: '범례',
  seatKeys: '화살표 키로 좌석 사이를 이동하고 Enter 또는 Space로 선택하세요.',
  selected: '선택한 좌석',
  noneSelected: '아직 선택한 좌석이 없습니다.',
  total: '합계',
  maxSeats: (n) => `한 번에 최대 ${n}석까지 선택할 수 있습니다.`,
  bestAvailable: '자동 배정',
  bestCount: '좌석 수',
  holdBest: '가장 좋은 좌석 선점',
  holdSeats: (n, total) => `${n}석 선점하기 · ${total}`,
  seatsTakenLive: (labels) => `${labels.join(', ')} 좌석을 방금 다른 분이 선점했습니다.`,
  endedExpired: '예매 가능 시간이 끝났습니다. 계속하려면 대기열에 다시 입장하세요.',
  endedRemoved: '대기 순번이 해제되었습니다. 계속하려면 대기열에 다시 입장하세요.',
  endedClosed: '이 공연의 판매가 종료되었습니다.',

  checkoutTitle: '결제하기',
  heldFor: (clock) => `좌석이 ${clock} 동안 선점되어 있습니다.`,
  holdExpiredNote: '선점 시간이 끝나 좌석이 해제되었습니다.',
  concert: '공연',
  performance: '공연 회차',
  seats: '좌석',
  balance: '보유 포인트',
  needMore: (amount) => `결제하려면 ${amount}이(가) 더 필요합니다.`,
  chargeTitle: '포인트 충전',
  chargeAmount: '충전 금액 (원)',
  chargeHint:
    '한 번에 1,000원부터 1,000,000원까지, 잔액은 최대 10,000,000원까지 보유할 수 있습니다.',
  charge: '충전하기',
  charged: (amount, balance) => `${amount}을(를) 충전했습니다. 보유 포인트: ${balance}.`,
  withdrawTitle: '포인트 출금',
  withdrawAmount: '출금 금액 (원)',
  withdrawHint: '1,000원부터 보유 포인트까지 출금할 수 있으며, 출금한 포인트는 돌려받습니다.',
  withdraw: '출금하기',
  withdrawAll: (amount) => `전액 ${amount}`,
  withdrawn: (amount, balance) => `${amount}을(를) 출금했습니다. 보유 포인트: ${balance}.`,
  historyTitle: '포인트 내역',
  noHistory: '아직 포인트 내역이 없습니다.',
  ledgerType: { charge: '충전', payment: '티켓 결제', refund: '환불', withdrawal: '출금' },
  balanceAfter: (amount) => `잔액 ${amount}`,
  showMore: '더 보기',
  pay: (amount) => `포인트로 ${amount} 결제`,
  releaseSeats: '좌석 선점 취소',
  released: '좌석 선점을 취소했습니다.',
  backToSeats: '좌석 선택으로 돌아가기',

  confirmedTitle: '예매 완료',
  confirmedText: '티켓 예매가 완료되었습니다. 공연장에서 예매 번호를 보여 주세요.',
  bookingNo: '예매 번호',
  paid: '결제 금액',
  paidAt: '결제 일시',
  balanceNow: '남은 포인트',
  backToConcerts: '공연 목록으로',

  myTicketsTitle: '내 티켓',
  noReservations: '아직 예매 내역이 없습니다.',
  status: {
    held: '선점 중 (미결제)',
    paid: '결제 완료',
    canceled: '취소됨',
    expired: '선점 만료',
    refunded: '환불 완료',
  },
  refund: '환불하기',
  refundAsk: (amount) => `${amount}을(를) 포인트로 환불할까요? 좌석은 다시 판매됩니다.`,
  confirmRefund: '네, 환불합니다',
  keepTicket: '티켓 유지',
  refunded: (amount) => `${amount}을(를) 포인트로 환불했습니다.`,
  refundUntil: (when) => `${when}까지 환불 가능`,
  refundClosed: '공연 3일 전부터는 환불할 수 없습니다.',
  continuePayment: '결제하기',
  heldUntil: (when) => `${when}까지 선점`,
};
